{{/*
The only API access Parley needs: the registry's informers read pods (serving state), services (the
endpoint of a BundleDeployment is the Service of the same name), bundles and bundledeployments.
*/}}
{{- define "parley.registryRules" -}}
- apiGroups: [""]
  resources: ["pods", "services"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["sambanova.ai"]
  resources: ["bundles", "bundledeployments"]
  verbs: ["get", "list", "watch"]
{{- end }}
