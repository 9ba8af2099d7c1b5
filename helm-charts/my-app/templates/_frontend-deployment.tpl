{{/*
A frontend Deployment: the stable one (frontend-deployment.yaml) or the canary
(frontend-canary-deployment.yaml). Call with (dict "root" $ "name" "..." "track" "stable|canary"
"version" "v1" "image" "repo:tag" "replicas" 2-or-nil).
*/}}
{{- define "my-app.frontend.deployment" -}}
{{- $ := .root -}}
{{- $fe := $.Values.frontend -}}
{{- include "my-app.checkTermination" (dict "name" "frontend" "v" $fe) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "my-app.componentLabels" (dict "root" $ "name" "frontend" "component" "web") | nindent 4 }}
    track: {{ .track }}
  annotations:
    # Tags are the tutorial's interface (frontend-app:v1, v2); set frontend.image.digest to pin one.
    checkov.io/skip1: CKV_K8S_43=The tutorial deploys by tag; image.digest values pin a digest.
    # IfNotPresent lets minikube and kind run images built into their own store, as the tutorial does.
    checkov.io/skip2: CKV_K8S_15=IfNotPresent is needed for locally built images (tutorial).
    {{- include "my-app.checkovNamespaceSkip" 3 | nindent 4 }}
spec:
  {{- if ne .replicas nil }}
  replicas: {{ .replicas }}
  {{- end }}
  {{- include "my-app.rollingUpdate" $fe | nindent 2 }}
  selector:
    matchLabels:
      {{- include "my-app.frontend.deploymentSelectorLabels" (dict "root" $ "track" .track) | nindent 6 }}
  template:
    {{- include "my-app.frontend.podTemplate" . | nindent 4 }}
{{- end -}}

{{/*
The pod template of the frontend: the Deployments' and, with progressiveDelivery.argoRollouts, the Rollout's
(frontend-rollout.yaml). Call with (dict "root" $ "track" "stable|canary|rollout" "version" "v1"
"image" "repo:tag" "tag" "v1").
*/}}
{{- define "my-app.frontend.podTemplate" -}}
{{- $ := .root -}}
{{- $fe := $.Values.frontend -}}
metadata:
  labels:
    {{- include "my-app.frontend.deploymentSelectorLabels" (dict "root" $ "track" .track) | nindent 4 }}
    version: {{ .version | quote }}
    app.kubernetes.io/name: frontend
    app.kubernetes.io/component: web
    app.kubernetes.io/part-of: skalar
    app.kubernetes.io/version: {{ .tag | quote }}
    {{- with include "my-app.istioInjectLabel" $ }}
    {{- . | nindent 4 }}
    {{- end }}
    {{- with $fe.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with (include "my-app.appPodAnnotations" (dict "root" $ "v" $fe "proxyDrain" "outliveApp") | trim) }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: frontend
  automountServiceAccountToken: false
  enableServiceLinks: false
  terminationGracePeriodSeconds: {{ $fe.terminationGracePeriodSeconds }}
  securityContext:
    {{- include "my-app.podSecurityContext" $ | nindent 4 }}
  {{- with $.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: frontend
      image: {{ .image | quote }}
      imagePullPolicy: {{ $fe.image.pullPolicy }}
      securityContext:
        {{- include "my-app.containerSecurityContext" $ | nindent 8 }}
      ports:
        - name: http
          containerPort: 8080
          protocol: TCP
      env:
        {{- include "my-app.commonEnv" (dict "v" $fe) | nindent 8 }}
        - name: BACKEND_URL
          value: {{ $fe.backendURL | quote }}
        - name: BACKEND_TIMEOUT_MS
          value: {{ $fe.backendTimeoutMs | quote }}
        - name: CPU_WORK_MS
          value: {{ $fe.cpuWorkMs | quote }}
        {{- if ne $fe.eventLoops nil }}
        - name: EVENT_LOOPS
          value: {{ $fe.eventLoops | quote }}
        {{- end }}
        {{- with $fe.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- include "my-app.probes" (dict "p" $fe.probes) | nindent 6 }}
      {{- with include "my-app.lifecycle" $fe }}
      {{- . | nindent 6 }}
      {{- end }}
      resources:
        {{- toYaml $fe.resources | nindent 8 }}
  {{- with include "my-app.topologySpread" (dict "t" $fe.topologySpread "selector" (include "my-app.frontend.selectorLabels" $)) }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- with $fe.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $fe.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $fe.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
