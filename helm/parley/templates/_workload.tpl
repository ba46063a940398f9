{{/*
Generic objects of one Parley service. Call with (dict "root" $ "component" "<chat|registry|proxy|usage|simulator>").
*/}}

{{- define "parley.deployment" -}}
{{- $root := .root }}
{{- $values := get $root.Values .component }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "parley.componentName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "parley.labels" . | nindent 4 }}
spec:
  {{- if not (and $values.autoscaling $values.autoscaling.enabled) }}
  replicas: {{ $values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "parley.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "parley.labels" . | nindent 8 }}
        {{- if eq .component "simulator" }}
        {{- /* the demo BundleDeployment of the same name: the registry matches these pods by label */}}
        sambanova.ai/bundle-deployment: {{ include "parley.componentName" . }}
        sambanova.ai/group: default
        {{- end }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include "parley.configData" $root | sha256sum }}
        {{- if and $root.Values.metrics.scrapeAnnotations (ne .component "simulator") }}
        prometheus.io/scrape: "true"
        prometheus.io/path: /q/metrics
        prometheus.io/port: "9000"
        {{- end }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "parley.serviceAccountName" . }}
      automountServiceAccountToken: {{ or (eq .component "registry") (and (eq .component "proxy") (ne (include "parley.secretNamespaces" $root) "")) }}
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
      securityContext:
        {{- include "parley.podSecurityContext" $root | nindent 8 }}
      {{- with $root.Values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "parley.image" . | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
            {{- if ne .component "simulator" }}
            {{- /* the management interface: /q/metrics and /q/openapi, never behind the Service or the Ingress */}}
            - name: management
              containerPort: 9000
              protocol: TCP
            {{- end }}
          env:
            {{- include "parley.env" . | trim | nindent 12 }}
          {{- if eq .component "simulator" }}
          {{- /* the simulator speaks vLLM: its health endpoint is /health */}}
          startupProbe:
            httpGet:
              path: /health
              port: http
            periodSeconds: 2
            failureThreshold: 60
          livenessProbe:
            httpGet:
              path: /health
              port: http
            periodSeconds: 10
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /health
              port: http
            periodSeconds: 5
            failureThreshold: 2
          {{- else }}
          startupProbe:
            httpGet:
              path: /q/health/started
              port: http
            periodSeconds: 2
            failureThreshold: {{ $root.Values.probes.startupFailureThreshold }}
          livenessProbe:
            httpGet:
              path: /q/health/live
              port: http
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /q/health/ready
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          {{- end }}
          {{- if and (eq .component "proxy") (gt (int $values.preStopSeconds) 0) }}
          lifecycle:
            preStop:
              exec:
                command: ["sleep", {{ $values.preStopSeconds | quote }}]
          {{- end }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- include "parley.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if eq .component "proxy" }}
            - name: usage-spool
              mountPath: /var/spool/parley
            {{- end }}
            {{- if $values.extraProperties }}
            - name: properties
              mountPath: /etc/parley
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $values.tmpSizeLimit }}
        {{- if eq .component "proxy" }}
        - name: usage-spool
          {{- if $values.spool.existingClaim }}
          persistentVolumeClaim:
            claimName: {{ $values.spool.existingClaim }}
          {{- else }}
          emptyDir:
            sizeLimit: {{ $values.spool.sizeLimit }}
          {{- end }}
        {{- end }}
        {{- if $values.extraProperties }}
        - name: properties
          configMap:
            name: {{ include "parley.componentName" . }}-properties
        {{- end }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}

{{- define "parley.service" -}}
{{- $values := get .root.Values .component }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "parley.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "parley.labels" . | nindent 4 }}
  {{- with $values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: ClusterIP
  {{- with $values.service.sessionAffinity }}
  sessionAffinity: {{ . }}
  {{- end }}
  selector:
    {{- include "parley.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $values.service.port }}
      targetPort: http
      protocol: TCP
{{- end }}

{{- define "parley.hpa" -}}
{{- $values := get .root.Values .component }}
{{- if $values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "parley.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "parley.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "parley.componentName" . }}
  minReplicas: {{ $values.autoscaling.minReplicas }}
  maxReplicas: {{ $values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $values.autoscaling.targetCPUUtilizationPercentage }}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
{{- end }}
{{- end }}

{{- define "parley.pdb" -}}
{{- $values := get .root.Values .component }}
{{- if $values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "parley.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "parley.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ $values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "parley.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{- define "parley.ingress" -}}
{{- $root := .root }}
{{- $values := get $root.Values .component }}
{{- if $values.ingress.enabled }}
{{- $serviceName := include "parley.componentName" . }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ $serviceName }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "parley.labels" . | nindent 4 }}
  {{- with $values.ingress.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $values.ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with $values.ingress.tls }}
  tls:
    {{- range . }}
    - secretName: {{ .secretName }}
      hosts:
        {{- toYaml .hosts | nindent 8 }}
    {{- end }}
  {{- end }}
  rules:
    {{- range $values.ingress.hosts }}
    - host: {{ .host | quote }}
      http:
        paths:
          {{- range .paths }}
          - path: {{ .path }}
            pathType: {{ .pathType }}
            backend:
              service:
                name: {{ $serviceName }}
                port:
                  name: http
          {{- end }}
    {{- end }}
{{- end }}
{{- end }}
