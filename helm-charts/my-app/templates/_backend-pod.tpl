{{/*
The backend's pod template, shared by its two workloads: the StatefulSet backend-app on SQLite (one pod
on the database's volume) and the Deployment backend-app-deployment on PostgreSQL (any number of pods,
no volume). What differs between them: the database's environment and volume, the preStop pause and the
classic sidecar's drain (my-app.appPodAnnotations), and the topology spread of the Deployment's pods.
*/}}
{{- define "my-app.backend.podTemplate" -}}
{{- $ := . -}}
{{- $be := deepCopy .Values.backend -}}
{{- $_ := set $be "preStopSleepSeconds" (include "my-app.backend.preStopSleepSeconds" . | int) -}}
{{- $postgresql := include "my-app.backend.onPostgresql" . -}}
{{- include "my-app.checkTermination" (dict "name" "backend" "v" $be) -}}
metadata:
  labels:
    {{- include "my-app.backend.selectorLabels" . | nindent 4 }}
    version: {{ include "my-app.backend.version" . | quote }}
    app.kubernetes.io/name: backend
    app.kubernetes.io/component: api
    app.kubernetes.io/part-of: skalar
    app.kubernetes.io/version: {{ $be.image.tag | quote }}
    {{- with include "my-app.istioInjectLabel" $ }}
    {{- . | nindent 4 }}
    {{- end }}
    {{- with $be.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with (include "my-app.appPodAnnotations" (dict "root" $ "v" $be "proxyDrain" (ternary "outliveApp" "exitOnZeroConnections" (eq $postgresql "true"))) | trim) }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: backend
  automountServiceAccountToken: false
  enableServiceLinks: false
  terminationGracePeriodSeconds: {{ $be.terminationGracePeriodSeconds }}
  securityContext:
    {{- include "my-app.podSecurityContext" $ | nindent 4 }}
    {{- if not $postgresql }}
    # The volume is group-owned by fsGroup, so uid 65532 can write /data.
    fsGroup: {{ .Values.podSecurityContext.fsGroup }}
    fsGroupChangePolicy: OnRootMismatch
    {{- end }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: backend
      image: {{ include "my-app.image" (dict "repository" $be.image.repository "tag" $be.image.tag "digest" $be.image.digest) | quote }}
      imagePullPolicy: {{ $be.image.pullPolicy }}
      securityContext:
        {{- include "my-app.containerSecurityContext" $ | nindent 8 }}
      ports:
        - name: http
          containerPort: 8080
          protocol: TCP
      env:
        {{- include "my-app.commonEnv" (dict "v" $be) | nindent 8 }}
        {{- if $postgresql }}
        {{- include "my-app.database.env" . | nindent 8 }}
        {{- else }}
        - name: DATABASE_PATH
          value: /data/backend.sqlite
        {{- end }}
        {{- if gt (int $be.seedEntries) 0 }}
        - name: SEED_ENTRIES
          value: {{ int $be.seedEntries | quote }}
        {{- end }}
        {{- with $be.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- include "my-app.probes" (dict "p" $be.probes) | nindent 6 }}
      {{- with include "my-app.lifecycle" $be }}
      {{- . | nindent 6 }}
      {{- end }}
      resources:
        {{- toYaml $be.resources | nindent 8 }}
      volumeMounts:
        {{- if not $postgresql }}
        # backend.sqlite and its -wal and -shm files.
        - name: data
          mountPath: /data
        {{- end }}
        {{- if $postgresql }}
        # A writable /tmp under the read-only root filesystem, for anything that wants a temporary file.
        {{- else }}
        # SQLite's temporary files (sorts, large queries): the root filesystem is read-only, and
        # SQLite takes the first writable of /var/tmp, /usr/tmp and /tmp.
        {{- end }}
        - name: tmp
          mountPath: /tmp
        {{- if include "my-app.database.verifiesServer" . }}
        # The CloudNativePG cluster's CA (PGSSLROOTCERT), to verify the server's certificate.
        - name: postgresql-ca
          mountPath: /etc/skalar/postgresql-ca
          readOnly: true
        {{- end }}
  {{- if $postgresql }}
  {{- with include "my-app.topologySpread" (dict "t" $be.topologySpread "selector" (include "my-app.backend.selectorLabels" $)) }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- end }}
  {{- with $be.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $be.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $be.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ $be.tmpSizeLimit }}
    {{- if and (not $postgresql) (not $be.persistence.enabled) }}
    # No persistence: the database lives as long as the pod.
    - name: data
      emptyDir: {}
    {{- end }}
    {{- if include "my-app.database.verifiesServer" . }}
    - name: postgresql-ca
      secret:
        secretName: {{ include "my-app.cnpg.name" . }}-ca
        items:
          - key: ca.crt
            path: ca.crt
    {{- end }}
{{- end -}}
