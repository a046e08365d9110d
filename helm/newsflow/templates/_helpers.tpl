{{/*
Chart name, truncated to the 63 characters Kubernetes allows in names.
*/}}
{{- define "newsflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name. A release name that already contains the chart
name is used as is.
*/}}
{{- define "newsflow.fullname" -}}
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

{{- define "newsflow.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "newsflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "newsflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "newsflow.labels" -}}
helm.sh/chart: {{ include "newsflow.chart" . }}
{{ include "newsflow.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: newsflow
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "newsflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "newsflow.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "newsflow.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Kind of the worker workload: RocksDB state needs stable per-pod volumes.
*/}}
{{- define "newsflow.workloadKind" -}}
{{- if eq .Values.store "rocksdb" }}StatefulSet{{ else }}Deployment{{ end }}
{{- end }}

{{/*
Fail early on combinations that would deploy but never work.
*/}}
{{- define "newsflow.validate" -}}
{{- if and .Values.hpa.enabled .Values.keda.enabled }}
{{- fail "hpa.enabled and keda.enabled are exclusive: both would scale the same workload" }}
{{- end }}
{{- if and (hasPrefix "SASL" .Values.kafka.securityProtocol) (not .Values.kafka.sasl.existingSecret) }}
{{- fail "kafka.securityProtocol SASL_* needs kafka.sasl.existingSecret (a Secret with the SASL username and password)" }}
{{- end }}
{{- if and (hasPrefix "SASL" .Values.kafka.securityProtocol) (not .Values.kafka.sasl.mechanism) }}
{{- fail "kafka.securityProtocol SASL_* needs kafka.sasl.mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)" }}
{{- end }}
{{- if and (hasSuffix "SSL" .Values.kafka.securityProtocol) .Values.kafka.tls.certKey (not .Values.kafka.tls.existingSecret) }}
{{- fail "kafka.tls.certKey is set but kafka.tls.existingSecret is empty" }}
{{- end }}
{{- if ne (empty .Values.kafka.tls.certKey) (empty .Values.kafka.tls.keyKey) }}
{{- fail "kafka.tls.certKey and kafka.tls.keyKey go together (mutual TLS needs both)" }}
{{- end }}
{{- end }}

{{/*
Non-secret settings, one NEWSFLOW_* variable per newsflow.config.Settings
field. The ConfigMap and the topic-init Job both render this, so they
cannot drift. SASL credentials are not here: they come from a Secret.
*/}}
{{- define "newsflow.configData" -}}
{{- $c := .Values.config -}}
KAFKA_BOOTSTRAP: {{ $c.kafkaBootstrap | quote }}
NEWSFLOW_APP_ID: {{ $c.appId | quote }}
NEWSFLOW_CLIENT_ID: {{ $c.clientId | quote }}
NEWSFLOW_TOPIC_RAW: {{ $c.topics.raw | quote }}
NEWSFLOW_TOPIC_ANALYSED: {{ $c.topics.analysed | quote }}
NEWSFLOW_TOPIC_ENRICHED: {{ $c.topics.enriched | quote }}
NEWSFLOW_TOPIC_DUPLICATES: {{ $c.topics.duplicates | quote }}
NEWSFLOW_TOPIC_CLUSTERS: {{ $c.topics.clusters | quote }}
NEWSFLOW_TOPIC_DLQ: {{ $c.topics.dlq | quote }}
NEWSFLOW_PARTITIONS: {{ $c.partitions | toString | quote }}
NEWSFLOW_DEDUP_PARTITIONS: {{ $c.dedupPartitions | toString | quote }}
NEWSFLOW_REPLICATION_FACTOR: {{ $c.replicationFactor | toString | quote }}
NEWSFLOW_PROCESSING_GUARANTEE: {{ $c.processingGuarantee | quote }}
NEWSFLOW_COMMIT_INTERVAL_SECONDS: {{ $c.commitIntervalSeconds | toString | quote }}
NEWSFLOW_BATCH_SIZE: {{ $c.batchSize | toString | quote }}
NEWSFLOW_BATCH_WITHIN_SECONDS: {{ $c.batchWithinSeconds | toString | quote }}
NEWSFLOW_PRODUCER_LINGER_SECONDS: {{ $c.producerLingerSeconds | toString | quote }}
NEWSFLOW_FETCH_MAX_WAIT_SECONDS: {{ $c.fetchMaxWaitSeconds | toString | quote }}
NEWSFLOW_STALL_TIMEOUT_SECONDS: {{ $c.stallTimeoutSeconds | toString | quote }}
NEWSFLOW_STORE: {{ printf "%s://" .Values.store | quote }}
NEWSFLOW_DATA_DIR: {{ .Values.persistence.mountPath | quote }}
NEWSFLOW_WEB_HOST: "0.0.0.0"
NEWSFLOW_WEB_PORT: {{ $c.webPort | toString | quote }}
NEWSFLOW_MAX_ARTICLE_BYTES: {{ $c.maxArticleBytes | int64 | toString | quote }}
NEWSFLOW_MAX_RECORD_BYTES: {{ $c.maxRecordBytes | int64 | toString | quote }}
NEWSFLOW_RECORD_TIMEOUT_SECONDS: {{ $c.recordTimeoutSeconds | toString | quote }}
NEWSFLOW_DEDUP_WINDOW_SECONDS: {{ $c.dedupWindowSeconds | int64 | toString | quote }}
NEWSFLOW_DEDUP_THRESHOLD: {{ $c.dedupThreshold | toString | quote }}
NEWSFLOW_DEDUP_BAND_INDEX: {{ $c.dedupBandIndex | quote }}
NEWSFLOW_LANGUAGE_MIN_CONFIDENCE: {{ $c.languageMinConfidence | toString | quote }}
NEWSFLOW_LANGUAGE_SHORT_TEXT: {{ $c.languageShortText | quote }}
NEWSFLOW_NER_MODELS: {{ $c.nerModels | quote }}
NEWSFLOW_LOG_LEVEL: {{ $c.logLevel | quote }}
NEWSFLOW_KAFKA_SECURITY_PROTOCOL: {{ .Values.kafka.securityProtocol | quote }}
{{- if .Values.kafka.sasl.mechanism }}
NEWSFLOW_KAFKA_SASL_MECHANISM: {{ .Values.kafka.sasl.mechanism | quote }}
{{- end }}
{{- if .Values.kafka.tls.existingSecret }}
{{- with .Values.kafka.tls }}
NEWSFLOW_KAFKA_SSL_CAFILE: {{ printf "%s/%s" .mountPath .caKey | quote }}
{{- if .certKey }}
NEWSFLOW_KAFKA_SSL_CERTFILE: {{ printf "%s/%s" .mountPath .certKey | quote }}
NEWSFLOW_KAFKA_SSL_KEYFILE: {{ printf "%s/%s" .mountPath .keyKey | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
SASL credentials as env vars read from the existing Secret.
*/}}
{{- define "newsflow.secretEnv" -}}
{{- if .Values.kafka.sasl.existingSecret -}}
- name: NEWSFLOW_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.usernameKey }}
- name: NEWSFLOW_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.passwordKey }}
{{- end }}
{{- end }}

{{- define "newsflow.tlsVolume" -}}
{{- if .Values.kafka.tls.existingSecret -}}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{- define "newsflow.tlsVolumeMount" -}}
{{- if .Values.kafka.tls.existingSecret -}}
- name: kafka-tls
  mountPath: {{ .Values.kafka.tls.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{/*
The worker pod template, shared by the StatefulSet and the Deployment.
*/}}
{{- define "newsflow.podTemplate" -}}
metadata:
  labels:
    {{- include "newsflow.selectorLabels" . | nindent 4 }}
    app.kubernetes.io/component: worker
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # Roll the workers when their configuration changes.
    checksum/config: {{ include "newsflow.configData" . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "newsflow.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: worker
      image: {{ include "newsflow.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        {{- toYaml .Values.args | nindent 8 }}
      ports:
        - name: http
          containerPort: {{ .Values.config.webPort }}
          protocol: TCP
      envFrom:
        - configMapRef:
            name: {{ include "newsflow.fullname" . }}
      {{- $secretEnv := include "newsflow.secretEnv" . }}
      {{- if or $secretEnv .Values.extraEnv }}
      env:
        {{- with $secretEnv }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- if .Values.startupProbe.enabled }}
      startupProbe:
        httpGet:
          path: /healthz
          port: http
        periodSeconds: {{ .Values.startupProbe.periodSeconds }}
        timeoutSeconds: {{ .Values.startupProbe.timeoutSeconds }}
        failureThreshold: {{ .Values.startupProbe.failureThreshold }}
      {{- end }}
      {{- if .Values.livenessProbe.enabled }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        periodSeconds: {{ .Values.livenessProbe.periodSeconds }}
        timeoutSeconds: {{ .Values.livenessProbe.timeoutSeconds }}
        failureThreshold: {{ .Values.livenessProbe.failureThreshold }}
      {{- end }}
      {{- if .Values.readinessProbe.enabled }}
      readinessProbe:
        httpGet:
          path: /healthz
          port: http
        periodSeconds: {{ .Values.readinessProbe.periodSeconds }}
        timeoutSeconds: {{ .Values.readinessProbe.timeoutSeconds }}
        failureThreshold: {{ .Values.readinessProbe.failureThreshold }}
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.containerSecurityContext | nindent 8 }}
      volumeMounts:
        - name: data
          mountPath: {{ .Values.persistence.mountPath }}
        - name: tmp
          mountPath: /tmp
        {{- with include "newsflow.tlsVolumeMount" . }}
        {{- . | nindent 8 }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- if ne .Values.store "rocksdb" }}
    - name: data
      emptyDir: {}
    {{- end }}
    {{- with include "newsflow.tlsVolume" . }}
    {{- . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
