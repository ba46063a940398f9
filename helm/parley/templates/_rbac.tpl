{{/* The only API access Parley needs: the registry's informers read pods, bundles and bundledeployments. */}}
{{- define "parley.registryRules" -}}
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["sambanova.ai"]
  resources: ["bundles", "bundledeployments"]
  verbs: ["get", "list", "watch"]
{{- end }}
