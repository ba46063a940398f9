{{/*
Helpers shared by every template. Component templates are one-liners that call the generic
"parley.deployment", "parley.service", "parley.hpa", "parley.pdb" and "parley.ingress" with a dict:
  (dict "root" $ "component" "chat")
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "parley.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, at most 63 characters. A release called "parley" gives "parley", any
other release "<release>-parley", unless fullnameOverride is set.
*/}}
{{- define "parley.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version as used by the helm.sh/chart label. */}}
{{- define "parley.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of one component's objects: "<fullname>-<component>", e.g. parley-proxy. */}}
{{- define "parley.componentName" -}}
{{- printf "%s-%s" (include "parley.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels of one component: stable across upgrades, never add to them. */}}
{{- define "parley.selectorLabels" -}}
app.kubernetes.io/name: {{ include "parley.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Common labels of every object of one component. */}}
{{- define "parley.labels" -}}
helm.sh/chart: {{ include "parley.chart" .root }}
{{ include "parley.selectorLabels" . }}
app.kubernetes.io/part-of: parley
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
ServiceAccount of a component. The registry talks to the Kubernetes API: it has its own account (with the Role
of registry-role.yaml). The proxy has its own too when it may read the Secrets of credential references
(credentials-role.yaml). Every other pod runs as "<fullname>" with no API token mounted.
*/}}
{{- define "parley.serviceAccountName" -}}
{{- if eq .component "registry" }}
{{- default (include "parley.componentName" .) .root.Values.registry.serviceAccount.name }}
{{- else if and (eq .component "proxy") (include "parley.secretNamespaces" .root) }}
{{- include "parley.componentName" . }}
{{- else }}
{{- include "parley.fullname" .root }}
{{- end }}
{{- end }}

{{/* Maven module (and image name) of a component. */}}
{{- define "parley.module" -}}
{{- $modules := dict "chat" "chat-service" "registry" "model-registry-service" "proxy" "inference-proxy-service" "usage" "usage-service" "simulator" "model-simulator" }}
{{- get $modules .component }}
{{- end }}

{{/* Image of a component: <registry>/parley/<module>:<tag>, or the component's image.repository. */}}
{{- define "parley.image" -}}
{{- $values := get .root.Values .component }}
{{- $repository := $values.image.repository | default (printf "%s/parley/%s" .root.Values.image.registry (include "parley.module" .)) }}
{{- $tag := $values.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}

{{/* Base URL of a component's Service from inside the release namespace (no namespace in it, so manifests can be moved with kustomize). */}}
{{- define "parley.url" -}}
{{- printf "http://%s:%d" (include "parley.componentName" .) (int (get .root.Values .component).service.port) }}
{{- end }}

{{/* Base URL of a component's Service from anywhere in the cluster. */}}
{{- define "parley.clusterUrl" -}}
{{- printf "http://%s.%s.svc:%d" (include "parley.componentName" .) .root.Release.Namespace (int (get .root.Values .component).service.port) }}
{{- end }}

{{/* Pod security context of the Parley services (restricted Pod Security Standard). */}}
{{- define "parley.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.runAsUser }}
runAsGroup: {{ .Values.podSecurity.runAsGroup }}
fsGroup: {{ .Values.podSecurity.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container security context, the same for every container of the chart. */}}
{{- define "parley.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Host of the database server: the demo PostgreSQL in demo mode, database.host otherwise. */}}
{{- define "parley.databaseHost" -}}
{{- if .Values.demo.enabled }}
{{- include "parley.componentName" (dict "root" . "component" "postgresql") }}
{{- else }}
{{- required "database.host is required (or demo.enabled=true)" .Values.database.host }}
{{- end }}
{{- end }}

{{/* Registry sources: registry.source, plus "static" in demo mode (the built-in simulator endpoint). */}}
{{- define "parley.registrySources" -}}
{{- $sources := splitList "," .Values.registry.source }}
{{- if and .Values.demo.enabled (not (has "static" $sources)) }}
{{- $sources = append $sources "static" }}
{{- end }}
{{- join "," $sources }}
{{- end }}

{{/*
Name of the Secret holding the database user and password. Always an existing Secret: the chart
never carries a secret value, not even in demo mode (where the in-chart PostgreSQL is initialised
from the same Secret).
*/}}
{{- define "parley.databaseSecretName" -}}
{{- required "database.existingSecret is required: the name of a Secret with the database user and password" .Values.database.existingSecret }}
{{- end }}

{{/* Namespaces the registry watches: the release namespace unless registry.watchNamespaces says otherwise. */}}
{{- define "parley.watchNamespaces" -}}
{{- if .Values.registry.watchNamespaces }}
{{- join "," .Values.registry.watchNamespaces }}
{{- else }}
{{- .Release.Namespace }}
{{- end }}
{{- end }}

{{/* "true" when the registry watches every namespace (watchNamespaces: ["*"]): RBAC is then cluster-wide. */}}
{{- define "parley.watchAllNamespaces" -}}
{{- if has "*" .Values.registry.watchNamespaces }}true{{- end }}
{{- end }}

{{/*
Where the registry and the proxy may get the Secrets of secret:NAME/KEY references (credentials.secrets), comma
separated: each watched namespace, the release namespace (Parley's own Secrets) only when credentials.secrets.names
lists names; "*" (cluster-wide) when every namespace is watched and names are listed. Empty: no grant.
*/}}
{{- define "parley.secretNamespaces" -}}
{{- $secrets := .Values.credentials.secrets }}
{{- if $secrets.read }}
{{- if include "parley.watchAllNamespaces" . }}
{{- if $secrets.names }}*{{- end }}
{{- else }}
{{- $granted := list }}
{{- range $namespace := splitList "," (include "parley.watchNamespaces" .) }}
{{- if or (ne $namespace $.Release.Namespace) $secrets.names }}
{{- $granted = append $granted $namespace }}
{{- end }}
{{- end }}
{{- join "," $granted }}
{{- end }}
{{- end }}
{{- end }}

{{/* The rule of credentials-role.yaml: get on Secrets, only the listed names when there are any. */}}
{{- define "parley.secretRules" -}}
- apiGroups: [""]
  resources: ["secrets"]
  {{- with .Values.credentials.secrets.names }}
  resourceNames:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  verbs: ["get"]
{{- end }}

{{/* Subjects bound to the Secret rule: the two components that resolve credential references. */}}
{{- define "parley.secretSubjects" -}}
- kind: ServiceAccount
  name: {{ include "parley.serviceAccountName" (dict "root" . "component" "registry") }}
  namespace: {{ .Release.Namespace }}
- kind: ServiceAccount
  name: {{ include "parley.serviceAccountName" (dict "root" . "component" "proxy") }}
  namespace: {{ .Release.Namespace }}
{{- end }}

{{/* An env var read from the release's ConfigMap (common-configmap.yaml). */}}
{{- define "parley.configEnv" -}}
- name: {{ .name }}
  valueFrom:
    configMapKeyRef:
      name: {{ include "parley.fullname" .root }}-config
      key: {{ .name }}
{{- end }}

{{/*
Environment of one component. Settings an operator changes per installation (OIDC issuer, database
server, registry sources) come from the ConfigMap <fullname>-config, so that a kustomize overlay
changes them in one place; secrets come from the named Secrets; the rest is fixed wiring.
*/}}
{{- define "parley.env" -}}
{{- $root := .root }}
{{- $values := get $root.Values .component }}
- name: QUARKUS_HTTP_PORT
  value: "8080"
{{- if ne .component "simulator" }}
{{- /* /q/metrics and /q/openapi on the management interface only (health stays on 8080 for the probes) */}}
- name: QUARKUS_MANAGEMENT_PORT
  value: "9000"
{{- end }}
{{- if eq .component "proxy" }}
{{- /* the proxy drains itself (ShutdownDrain): not ready at once, new calls served for the delay, then drainSeconds
for open streams; Quarkus's own delay would only add to it, and its shutdown then has only the final flush left */}}
{{- include "parley.proxyShutdownFits" $root }}
- name: QUARKUS_SHUTDOWN_TIMEOUT
  value: "5s"
- name: QUARKUS_SHUTDOWN_DELAY
  value: "0s"
- name: PARLEY_PROXY_SHUTDOWN_PRE_STOP_DELAY
  value: {{ printf "%ds" (int $root.Values.shutdown.delaySeconds) | quote }}
- name: PARLEY_PROXY_SHUTDOWN_DRAIN_TIME
  value: {{ printf "%ds" (int $values.drainSeconds) | quote }}
- name: PARLEY_PROXY_SPOOL_DIR
  value: /var/spool/parley
- name: PARLEY_PROXY_SPOOL_MAX_BYTES
  value: {{ $values.spool.maxBytes | int64 | quote }}
{{- else }}
- name: QUARKUS_SHUTDOWN_TIMEOUT
  value: {{ printf "%ds" (int (sub (int $values.terminationGracePeriodSeconds) (add (int $root.Values.shutdown.delaySeconds) 5))) | quote }}
- name: QUARKUS_SHUTDOWN_DELAY
  value: {{ printf "%ds" (int $root.Values.shutdown.delaySeconds) | quote }}
{{- end }}
{{- with $root.Values.jvmOptions }}
- name: JAVA_TOOL_OPTIONS
  value: {{ . | quote }}
{{- end }}
{{- if ne .component "simulator" }}
{{ include "parley.configEnv" (dict "root" $root "name" "PARLEY_OIDC_URL") }}
{{- end }}
{{- if has .component (list "chat" "proxy" "usage") }}
{{ include "parley.configEnv" (dict "root" $root "name" "PARLEY_DB_HOST") }}
{{ include "parley.configEnv" (dict "root" $root "name" "PARLEY_DB_PORT") }}
{{ include "parley.configEnv" (dict "root" $root "name" "PARLEY_DB_OPTIONS") }}
- name: PARLEY_DB_URL
  value: {{ printf "jdbc:postgresql://$(PARLEY_DB_HOST):$(PARLEY_DB_PORT)/%s$(PARLEY_DB_OPTIONS)" (get $root.Values.database.names .component) | quote }}
- name: PARLEY_DB_USER
  valueFrom:
    secretKeyRef:
      name: {{ include "parley.databaseSecretName" $root }}
      key: {{ $root.Values.database.userKey }}
- name: PARLEY_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "parley.databaseSecretName" $root }}
      key: {{ $root.Values.database.passwordKey }}
{{- end }}
{{- if has .component (list "chat" "proxy") }}
- name: PARLEY_REGISTRY_URL
  value: {{ include "parley.url" (dict "root" $root "component" "registry") | quote }}
- name: PARLEY_USAGE_URL
  value: {{ include "parley.url" (dict "root" $root "component" "usage") | quote }}
{{- end }}
{{- if eq .component "chat" }}
{{- /* behind an Ingress: the OIDC redirect URI must use the browser's scheme and host */}}
- name: QUARKUS_HTTP_PROXY_PROXY_ADDRESS_FORWARDING
  value: "true"
- name: QUARKUS_HTTP_PROXY_ALLOW_X_FORWARDED
  value: "true"
- name: QUARKUS_HTTP_PROXY_ENABLE_FORWARDED_HOST
  value: "true"
- name: QUARKUS_HTTP_PROXY_ENABLE_FORWARDED_PREFIX
  value: "true"
- name: PARLEY_PROXY_URL
  value: {{ include "parley.url" (dict "root" $root "component" "proxy") | quote }}
{{- /* the replica's name as owner of its turns (a random id is added at start: unique with no configuration) */}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- /* on SIGTERM running turns may finish for this long, then end as interrupted before SIGKILL */}}
- name: PARLEY_TURNS_DRAIN_TIMEOUT
  value: {{ printf "%ds" (int (sub (int $values.terminationGracePeriodSeconds) (add (int $root.Values.shutdown.delaySeconds) 15))) | quote }}
- name: PARLEY_WEB_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ required "oidc.existingSecret is required: the name of a Secret with the OIDC client secrets" $root.Values.oidc.existingSecret }}
      key: {{ $root.Values.oidc.webClientSecretKey }}
{{- end }}
{{- if eq .component "proxy" }}
- name: PARLEY_PROXY_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ required "oidc.existingSecret is required: the name of a Secret with the OIDC client secrets" $root.Values.oidc.existingSecret }}
      key: {{ $root.Values.oidc.proxyClientSecretKey }}
{{- end }}
{{- if and (has .component (list "registry" "proxy")) $root.Values.credentials.allowedEnv }}
{{- /* the one rule of credential references (io.parley.contracts.CredentialRef), the same in both */}}
- name: PARLEY_CREDENTIALS_ALLOWED_ENV
  value: {{ join "," $root.Values.credentials.allowedEnv | quote }}
{{- end }}
{{- if eq .component "registry" }}
{{- with $values.endpointAnnotations.namespaces }}
- name: PARLEY_REGISTRY_KUBERNETES_ENDPOINTS_ANNOTATION_NAMESPACES
  value: {{ join "," . | quote }}
{{- end }}
- name: PARLEY_REGISTRY_KUBERNETES_ENDPOINTS_ANNOTATION_URLS
  value: {{ join "," $values.endpointAnnotations.urlPatterns | quote }}
{{ include "parley.configEnv" (dict "root" $root "name" "PARLEY_REGISTRY_SOURCE") }}
{{ include "parley.configEnv" (dict "root" $root "name" "PARLEY_REGISTRY_NAMESPACES") }}
{{ include "parley.configEnv" (dict "root" $root "name" "PARLEY_SIMULATOR_URL") }}
{{- end }}
{{- if $values.extraProperties }}
- name: QUARKUS_CONFIG_LOCATIONS
  value: /etc/parley/application.properties
{{- end }}
{{- with $values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Data of the ConfigMap <fullname>-config. */}}
{{- define "parley.configData" -}}
PARLEY_OIDC_URL: {{ required "oidc.authServerUrl is required (for example https://keycloak.example.com/realms/parley)" .Values.oidc.authServerUrl | quote }}
PARLEY_DB_HOST: {{ include "parley.databaseHost" . | quote }}
PARLEY_DB_PORT: {{ .Values.database.port | quote }}
PARLEY_DB_OPTIONS: {{ ternary (printf "?%s" .Values.database.parameters) "" (ne .Values.database.parameters "") | quote }}
PARLEY_REGISTRY_SOURCE: {{ include "parley.registrySources" . | quote }}
PARLEY_REGISTRY_NAMESPACES: {{ include "parley.watchNamespaces" . | quote }}
PARLEY_SIMULATOR_URL: {{ include "parley.url" (dict "root" . "component" "simulator") | quote }}
{{- end }}

{{/*
The proxy's stop must fit its grace period: preStop sleep + not-ready delay + drain time + 15 s (cutting the last
streams, writing the queued usage, exiting) <= terminationGracePeriodSeconds.
*/}}
{{- define "parley.proxyShutdownFits" -}}
{{- $p := .Values.proxy }}
{{- $need := add (int $p.preStopSeconds) (int .Values.shutdown.delaySeconds) (int $p.drainSeconds) 15 }}
{{- if gt (int $need) (int $p.terminationGracePeriodSeconds) }}
{{- fail (printf "proxy.terminationGracePeriodSeconds (%d) must be at least proxy.preStopSeconds + shutdown.delaySeconds + proxy.drainSeconds + 15 (%d)" (int $p.terminationGracePeriodSeconds) (int $need)) }}
{{- end }}
{{- end }}
