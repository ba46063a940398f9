{{/*
NetworkPolicy of one component. Ingress: its port only, from the listed components of this release (and,
for the public components, from networkPolicy.ingressFrom); the management port 9000 (/q/metrics) only from
networkPolicy.metricsFrom. Egress (networkPolicy.egress.enabled): only what
"egress" names; an empty dict allows no egress at all.
Call with (dict "root" $ "component" "usage" "port" 8080 "from" (list "proxy" "chat") "public" false "metrics" true
  "egress" (dict "dns" true "database" true "oidc" true "kubernetesApi" false "models" false "components" (list "registry"))).
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
    {{- if $root.Values.networkPolicy.egress.enabled }}
    - Egress
    {{- end }}
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
    {{- /* Prometheus scraping /q/metrics on the management port */}}
    - from:
        {{- toYaml $root.Values.networkPolicy.metricsFrom | nindent 8 }}
      ports:
        - port: 9000
          protocol: TCP
    {{- end }}
  {{- if $root.Values.networkPolicy.egress.enabled }}
  {{- $rules := include "parley.egressRules" (dict "root" $root "egress" (.egress | default (dict))) }}
  {{- if $rules }}
  egress:
    {{- $rules | trim | nindent 4 }}
  {{- else }}
  {{- /* Egress listed in policyTypes with no rule: this pod connects to nothing. */}}
  egress: []
  {{- end }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
Egress rules of one component (YAML list items, or nothing). Each destination is its own rule:
  dns            the cluster DNS (networkPolicy.egress.dns), UDP and TCP
  database       the demo PostgreSQL pod, or networkPolicy.egress.database.to on database.port (empty: any host)
  oidc           networkPolicy.egress.oidc.to (empty: any host) on its ports (default: the port of oidc.authServerUrl)
  kubernetesApi  networkPolicy.egress.kubernetesApi.to (empty: any host) on its ports
  components     these pods of this release on 8080 (the container port every Parley service listens on)
  models         the demo simulator, the pods of networkPolicy.modelPods.podSelector in the watched namespaces
                 and networkPolicy.egress.models.to; when none of them is set, any host on egress.models.ports
*/}}
{{- define "parley.egressRules" -}}
{{- $root := .root }}
{{- $values := $root.Values.networkPolicy.egress }}
{{- $egress := .egress }}
{{- if $egress.dns }}
{{- include "parley.egressRule" (dict "to" $values.dns.to "ports" $values.dns.ports "protocols" (list "UDP" "TCP")) }}
{{- end }}
{{- if $egress.database }}
{{- if $root.Values.demo.enabled }}
{{- include "parley.egressRule" (dict "to" (list (include "parley.podPeer" (dict "root" $root "component" "postgresql") | fromYaml)) "ports" (list 5432)) }}
{{- else }}
{{- include "parley.egressRule" (dict "to" $values.database.to "ports" (list $root.Values.database.port)) }}
{{- end }}
{{- end }}
{{- if $egress.oidc }}
{{- $ports := $values.oidc.ports }}
{{- if not $ports }}
{{- $url := urlParse (required "oidc.authServerUrl is required (for example https://keycloak.example.com/realms/parley)" $root.Values.oidc.authServerUrl) }}
{{- $hostPort := splitList ":" $url.host }}
{{- if gt (len $hostPort) 1 }}
{{- $ports = list (last $hostPort | atoi) }}
{{- else if eq $url.scheme "http" }}
{{- $ports = list 80 }}
{{- else }}
{{- $ports = list 443 }}
{{- end }}
{{- end }}
{{- include "parley.egressRule" (dict "to" $values.oidc.to "ports" $ports) }}
{{- end }}
{{- if $egress.kubernetesApi }}
{{- include "parley.egressRule" (dict "to" $values.kubernetesApi.to "ports" $values.kubernetesApi.ports) }}
{{- end }}
{{- if $egress.components }}
{{- $peers := list }}
{{- range $egress.components }}
{{- $peers = append $peers (include "parley.podPeer" (dict "root" $root "component" .) | fromYaml) }}
{{- end }}
{{- include "parley.egressRule" (dict "to" $peers "ports" (list 8080)) }}
{{- end }}
{{- if $egress.models }}
{{- $modelPods := $root.Values.networkPolicy.modelPods }}
{{- if $root.Values.demo.enabled }}
{{- include "parley.egressRule" (dict "to" (list (include "parley.podPeer" (dict "root" $root "component" "simulator") | fromYaml)) "ports" (list 8080)) }}
{{- end }}
{{- if $modelPods.podSelector }}
{{- $peers := list }}
{{- if include "parley.watchAllNamespaces" $root }}
{{- $peers = append $peers (dict "namespaceSelector" (dict) "podSelector" $modelPods.podSelector) }}
{{- else }}
{{- range splitList "," (include "parley.watchNamespaces" $root) }}
{{- $namespace := dict "matchLabels" (dict "kubernetes.io/metadata.name" .) }}
{{- $peers = append $peers (dict "namespaceSelector" $namespace "podSelector" $modelPods.podSelector) }}
{{- end }}
{{- end }}
{{- include "parley.egressRule" (dict "to" $peers "ports" $modelPods.ports) }}
{{- end }}
{{- if or $values.models.to (not (or $root.Values.demo.enabled $modelPods.podSelector)) }}
{{- include "parley.egressRule" (dict "to" $values.models.to "ports" $values.models.ports) }}
{{- end }}
{{- end }}
{{- end }}

{{/* A NetworkPolicyPeer selecting the pods of one component of this release. */}}
{{- define "parley.podPeer" -}}
podSelector:
  matchLabels:
    {{- include "parley.selectorLabels" . | nindent 4 }}
{{- end }}

{{/*
One egress rule: (dict "to" <NetworkPolicyPeer list, empty: any host> "ports" <port list, empty: all>
"protocols" <default TCP>). With neither, "- {}" allows everything.
*/}}
{{- define "parley.egressRule" -}}
{{- if not (or .to .ports) }}
- {}
{{- else if .to }}
- to:
    {{- toYaml .to | nindent 4 }}
  {{- if .ports }}
  ports:
  {{- end }}
{{- else }}
- ports:
{{- end }}
{{- $protocols := .protocols | default (list "TCP") }}
{{- range $port := .ports }}
{{- range $protocol := $protocols }}
    - port: {{ $port }}
      protocol: {{ $protocol }}
{{- end }}
{{- end }}
{{- end }}
