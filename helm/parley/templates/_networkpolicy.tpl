{{/*
NetworkPolicy admitting traffic to one component's port only from the listed components of this
release (and, for the public components, from networkPolicy.ingressFrom).
Call with (dict "root" $ "component" "usage" "port" 8080 "from" (list "proxy" "chat") "public" false "metrics" true).
*/}}
{{- define "parley.networkPolicy" -}}
{{- $root := .root }}
{{- if $root.Values.networkPolicy.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "parley.componentName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "parley.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "parley.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
  ingress:
    {{- if and .public (not $root.Values.networkPolicy.ingressFrom) }}
    {{- /* public component and no restriction given: any client may reach the HTTP port */}}
    - ports:
        - port: {{ .port }}
          protocol: TCP
    {{- else }}
    - from:
        {{- range .from }}
        - podSelector:
            matchLabels:
              {{- include "parley.selectorLabels" (dict "root" $root "component" .) | nindent 14 }}
        {{- end }}
        {{- if .public }}
        {{- toYaml $root.Values.networkPolicy.ingressFrom | nindent 8 }}
        {{- end }}
      ports:
        - port: {{ .port }}
          protocol: TCP
    {{- end }}
    {{- if and .metrics $root.Values.networkPolicy.metricsFrom }}
    {{- /* Prometheus scraping /q/metrics */}}
    - from:
        {{- toYaml $root.Values.networkPolicy.metricsFrom | nindent 8 }}
      ports:
        - port: {{ .port }}
          protocol: TCP
    {{- end }}
{{- end }}
{{- end }}
