{{/*
The only API access Parley needs: the registry's informers (KubernetesModelSource) list and watch pods
(serving state; the owner StatefulSet is read from each pod's ownerReferences, never fetched), services (the
endpoint of a deployment is the Service of the same name) and the SambaStack kinds of both generations it
watches by default (parley.registry.kubernetes.kinds): bundles, bundledeployments (legacy), models,
modelprofiles, modelbundles, modeldeployments.
*/}}
{{- define "parley.registryRules" -}}
- apiGroups: [""]
  resources: ["pods", "services"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["sambanova.ai"]
  resources: ["bundles", "bundledeployments", "models", "modelprofiles", "modelbundles", "modeldeployments"]
  verbs: ["get", "list", "watch"]
{{- end }}
