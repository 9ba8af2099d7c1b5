{{/*
Helpers shared by the templates. Object names are fixed by the project's contract (see values.yaml),
so there is no fullname helper: one release per namespace.
*/}}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "my-app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels on every object (not on pod templates: a chart version bump must not restart pods).
*/}}
{{- define "my-app.labels" -}}
helm.sh/chart: {{ include "my-app.chart" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: skalar
{{- end -}}

{{/*
Labels of one component's objects. Call with (dict "root" $ "name" "frontend" "component" "web").
*/}}
{{- define "my-app.componentLabels" -}}
{{ include "my-app.labels" .root }}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Selector of every frontend pod, stable and canary: frontend-service selects both. */}}
{{- define "my-app.frontend.selectorLabels" -}}
app: frontend
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Selector of one frontend Deployment. `track` (stable or canary) keeps the two Deployments' selectors
apart; the `version` label is not in the selector (selectors are immutable), so promoting a canary
can relabel the stable pods with `helm upgrade`.
*/}}
{{- define "my-app.frontend.deploymentSelectorLabels" -}}
{{ include "my-app.frontend.selectorLabels" .root }}
track: {{ .track }}
{{- end -}}

{{/* The `version` label of the stable frontend pods: frontend.version, else the image tag. */}}
{{- define "my-app.frontend.version" -}}
{{- default (toString .Values.frontend.image.tag) (toString .Values.frontend.version) -}}
{{- end -}}

{{/* The `version` label of the canary pods: frontend.canary.version, else the canary's tag. */}}
{{- define "my-app.frontend.canaryVersion" -}}
{{- default (toString .Values.frontend.canary.image.tag) (toString .Values.frontend.canary.version) -}}
{{- end -}}

{{/* The `version` label of the backend pod: backend.version, else the image tag. */}}
{{- define "my-app.backend.version" -}}
{{- default (toString .Values.backend.image.tag) (toString .Values.backend.version) -}}
{{- end -}}

{{/* Selector of the backend pod. */}}
{{- define "my-app.backend.selectorLabels" -}}
app: backend
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
An image reference: repository:tag, or repository@digest when a digest is set (repository:tag@digest with
"withTag" true: the runtime pulls by the digest, the tag stays readable). Call with
(dict "repository" "..." "tag" "..." "digest" "..." ["withTag" true]).
*/}}
{{- define "my-app.image" -}}
{{- if and .digest .withTag -}}
{{- printf "%s:%s@%s" .repository (toString .tag) .digest -}}
{{- else if .digest -}}
{{- printf "%s@%s" .repository .digest -}}
{{- else -}}
{{- printf "%s:%s" .repository (toString .tag) -}}
{{- end -}}
{{- end -}}

{{/*
The restricted pod security context (Pod Security Standards "restricted") of the chart's own images, which
run as podSecurityContext's ids. Images with another user (the bundled PostgreSQL's uid 999) call
my-app.restrictedPodSecurityContext with theirs.
*/}}
{{- define "my-app.podSecurityContext" -}}
{{- include "my-app.restrictedPodSecurityContext" .Values.podSecurityContext -}}
{{- end -}}

{{/* The restricted pod security context for the ids given. Call with (dict "runAsUser" 1 "runAsGroup" 1). */}}
{{- define "my-app.restrictedPodSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The restricted container security context of the chart's own images (see my-app.podSecurityContext). */}}
{{- define "my-app.containerSecurityContext" -}}
{{- include "my-app.restrictedContainerSecurityContext" .Values.podSecurityContext -}}
{{- end -}}

{{/* The restricted container security context, the same for every container but for the ids. */}}
{{- define "my-app.restrictedContainerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Refuses a termination timeline that SIGKILL could cut. Call with (dict "name" "frontend" "v" .Values.frontend).
*/}}
{{- define "my-app.checkTermination" -}}
{{- $total := add .v.preStopSleepSeconds .v.drainSeconds .v.shutdownTimeoutSeconds -}}
{{- if le (int .v.terminationGracePeriodSeconds) (int $total) -}}
{{- fail (printf "%s.terminationGracePeriodSeconds (%v) must be larger than preStopSleepSeconds + drainSeconds + shutdownTimeoutSeconds (%v)" .name .v.terminationGracePeriodSeconds $total) -}}
{{- end -}}
{{- end -}}

{{/*
Pod annotations shared by the frontend and backend pods: scrape annotations, and the classic Istio
sidecar's drain fitted to the tier (native sidecars ignore both settings: their preStop drains and they
exit once the app has). Call with (dict "root" $ "v" .Values.frontend "proxyDrain" "...").
- "outliveApp" (frontend): the proxy stays for preStop + drain + shutdown, so requests still in flight
  and the app's own backend calls keep their network; other replicas serve meanwhile.
- "exitOnZeroConnections" (backend): the proxy leaves as soon as the app's drain is over and no
  connection is open. The StatefulSet creates the next pod only when this one is gone, so any longer
  wait of the proxy would lengthen the outage of every backend rollout.
*/}}
{{- define "my-app.appPodAnnotations" -}}
{{- if .root.Values.scrapeAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: "8080"
prometheus.io/path: /metrics
{{- end }}
{{- if and (include "my-app.inMesh" .root) .root.Values.istio.alignProxyDrain }}
{{- if eq .proxyDrain "exitOnZeroConnections" }}
{{- $minimum := add .v.preStopSleepSeconds .v.drainSeconds }}
proxy.istio.io/config: {{ printf "{\"proxyMetadata\": {\"EXIT_ON_ZERO_ACTIVE_CONNECTIONS\": \"true\", \"MINIMUM_DRAIN_DURATION\": \"%ds\"}}" (int $minimum) | quote }}
{{- else }}
{{- $drain := add .v.preStopSleepSeconds .v.drainSeconds .v.shutdownTimeoutSeconds }}
proxy.istio.io/config: {{ printf "{\"terminationDrainDuration\": \"%ds\"}" (int $drain) | quote }}
{{- end }}
{{- end }}
{{- with .v.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
"true" when the chart's pods run with an Istio sidecar: the chart renders Istio's objects
(istio.enabled), or the namespace injects sidecars while istio-configs/ is applied by hand
(istio.sidecarsWithoutCRs). Everything that needs a sidecar asks this, not istio.enabled: the
injection label, the native sidecar of Jobs and test pods, the proxy's drain, the NetworkPolicy
openings for the agent's port 15020, and the ServiceMonitor's scrape of the merged metrics.
*/}}
{{- define "my-app.inMesh" -}}
{{- if or .Values.istio.enabled .Values.istio.sidecarsWithoutCRs -}}
true
{{- end -}}
{{- end -}}

{{/*
Pod labels that put a chart workload into the mesh: the services, the loadgen Job and the test pods
alike, so that STRICT mTLS lets the clients in even when the namespace is not labelled.
*/}}
{{- define "my-app.istioInjectLabel" -}}
{{- if and (include "my-app.inMesh" .) .Values.istio.injectSidecars -}}
sidecar.istio.io/inject: "true"
{{- end -}}
{{- end -}}

{{/*
Pod annotations of Jobs and test pods: a native sidecar (Istio >= 1.24 reads the annotation), which
Kubernetes stops after the pod's own containers, so the pod can complete.
*/}}
{{- define "my-app.jobPodAnnotations" -}}
{{- if and (include "my-app.inMesh" .) .Values.istio.nativeSidecarsForJobs -}}
sidecar.istio.io/nativeSidecar: "true"
{{- end -}}
{{- end -}}

{{/*
The rollout of a service's Deployment: maxUnavailable 0, so a rollout never has fewer ready pods than
before. Call with the service's values (.Values.frontend, .Values.backend).
*/}}
{{- define "my-app.rollingUpdate" -}}
revisionHistoryLimit: {{ .revisionHistoryLimit }}
minReadySeconds: {{ .minReadySeconds }}
progressDeadlineSeconds: {{ .progressDeadlineSeconds }}
strategy:
  type: RollingUpdate
  rollingUpdate:
    # Never fewer ready pods than before: new pods start, become ready, then old ones drain.
    maxUnavailable: 0
    maxSurge: {{ .maxSurge }}
{{- end -}}

{{/*
topologySpreadConstraints of a service's Deployment, when enabled. Call with
(dict "t" .Values.frontend.topologySpread "selector" "<the service's selector labels>").
*/}}
{{- define "my-app.topologySpread" -}}
{{- $t := .t -}}
{{- $selector := .selector -}}
{{- if $t.enabled -}}
topologySpreadConstraints:
  {{- range $t.topologyKeys }}
  - topologyKey: {{ . }}
    maxSkew: {{ $t.maxSkew }}
    whenUnsatisfiable: {{ $t.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- $selector | nindent 8 }}
    # Count only the pods of the same rollout (ReplicaSet), so old pods do not skew new ones.
    matchLabelKeys:
      - pod-template-hash
  {{- end }}
{{- end -}}
{{- end -}}

{{/*
The probes of a service container. Call with (dict "p" .Values.frontend.probes).
*/}}
{{- define "my-app.probes" -}}
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: {{ .p.startup.periodSeconds }}
  failureThreshold: {{ .p.startup.failureThreshold }}
  timeoutSeconds: {{ .p.startup.timeoutSeconds }}
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: {{ .p.liveness.periodSeconds }}
  failureThreshold: {{ .p.liveness.failureThreshold }}
  timeoutSeconds: {{ .p.liveness.timeoutSeconds }}
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  periodSeconds: {{ .p.readiness.periodSeconds }}
  failureThreshold: {{ .p.readiness.failureThreshold }}
  timeoutSeconds: {{ .p.readiness.timeoutSeconds }}
{{- end -}}

{{/* The preStop hook, when a sleep is asked for. Call with the component's values. */}}
{{- define "my-app.lifecycle" -}}
{{- if gt (int .preStopSleepSeconds) 0 -}}
lifecycle:
  preStop:
    exec:
      command: ["/bin/sleep", "{{ int .preStopSleepSeconds }}"]
{{- end -}}
{{- end -}}

{{/*
Environment shared by both services. Call with (dict "v" .Values.frontend).
*/}}
{{- define "my-app.commonEnv" -}}
- name: PORT
  value: "8080"
- name: ADMIN_PORT
  value: "9090"
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: LOG_FORMAT
  value: json
- name: LOG_LEVEL
  value: {{ .v.logLevel | quote }}
- name: DRAIN_SECONDS
  value: {{ .v.drainSeconds | quote }}
- name: SHUTDOWN_TIMEOUT_SECONDS
  value: {{ .v.shutdownTimeoutSeconds | quote }}
{{- end -}}

{{/*
The HTTP routes of the frontend VirtualServices (ingress and mesh), by the `track` subsets of
frontend-destinationrule. The track label never changes on a pod and each track's pods exist for as long
as its Deployment does, so no `helm upgrade` can point a route at a subset whose pods are still being
created: a stable rolling update stays inside the `stable` subset, and an aborted canary's share returns
to it the moment the routes change. With the canary: optional header routing to it, then the weighted
split. A new canary's weight must wait for its pods (README, "Canary": enable at weight 0 with --wait).
With Argo Rollouts the `primary` route names both subsets at 100/0 and Argo sets the weights while a
canary runs (frontend-rollout.yaml); the chart's canary is off then (values.schema.json).
*/}}
{{- define "my-app.frontend.httpRoutes" -}}
{{- $fe := .Values.frontend -}}
{{- $i := .Values.istio.frontend -}}
{{- $split := or $fe.canary.enabled (include "my-app.argoRollouts" .) -}}
{{- if and $fe.canary.enabled $fe.canary.header.enabled }}
- name: canary-by-header
  match:
    - headers:
        {{ $fe.canary.header.name }}:
          exact: {{ $fe.canary.header.value | quote }}
  route:
    - destination:
        host: frontend-service
        subset: canary
  {{- include "my-app.istioTimeoutRetries" $i | nindent 2 }}
{{- end }}
- name: primary
  route:
    - destination:
        host: frontend-service
        subset: stable
      weight: {{ if $fe.canary.enabled }}{{ sub 100 (int $fe.canary.weight) }}{{ else }}100{{ end }}
    {{- if $split }}
    - destination:
        host: frontend-service
        subset: canary
      weight: {{ if $fe.canary.enabled }}{{ int $fe.canary.weight }}{{ else }}0{{ end }}
    {{- end }}
  {{- include "my-app.istioTimeoutRetries" $i | nindent 2 }}
{{- end -}}

{{/* timeout and retries of a VirtualService route. Call with .Values.istio.frontend or .backend. */}}
{{- define "my-app.istioTimeoutRetries" -}}
timeout: {{ .timeout }}
retries:
  attempts: {{ .retries.attempts }}
  {{- with .retries.perTryTimeout }}
  perTryTimeout: {{ . }}
  {{- end }}
  retryOn: {{ .retries.retryOn | quote }}
{{- end -}}

{{/* The traffic policy of the DestinationRules. */}}
{{- define "my-app.istioTrafficPolicy" -}}
{{- $d := .Values.istio.destinationRule -}}
tls:
  mode: {{ $d.tlsMode }}
connectionPool:
  tcp:
    maxConnections: {{ $d.connectionPool.maxConnections }}
  http:
    http1MaxPendingRequests: {{ $d.connectionPool.http1MaxPendingRequests }}
    http2MaxRequests: {{ $d.connectionPool.http2MaxRequests }}
    idleTimeout: {{ $d.connectionPool.idleTimeout }}
outlierDetection:
  # Only failures to reach a pod eject it. Every status a pod answers is a working pod's answer: the
  # /status/5xx demos, and the frontend's own 502/503/504 while the backend is away, which would
  # otherwise eject every frontend pod during a backend outage and keep them out long after it.
  splitExternalLocalOriginErrors: true
  consecutiveLocalOriginFailures: {{ $d.outlierDetection.consecutiveLocalOriginFailures }}
  consecutive5xxErrors: 0
  consecutiveGatewayErrors: 0
  interval: {{ $d.outlierDetection.interval }}
  baseEjectionTime: {{ $d.outlierDetection.baseEjectionTime }}
  maxEjectionPercent: {{ $d.outlierDetection.maxEjectionPercent }}
{{- end -}}

{{/*
Whether the split between stable and canary follows the weight somewhere: Istio (ingress and in-mesh),
or the Gateway API (at the Gateway only; inside the cluster frontend-service spreads by pod count).
*/}}
{{- define "my-app.weightedSplit" -}}
{{- if and .Values.frontend.canary.enabled (or .Values.istio.enabled .Values.gatewayAPI.enabled) -}}
true
{{- end -}}
{{- end -}}

{{/* The Grafana dashboard's ConfigMap: one per release, also where many share Grafana's namespace. */}}
{{- define "my-app.grafanaDashboardName" -}}
{{- printf "%s-%s-grafana-dashboard" .Release.Name .Release.Namespace -}}
{{- end -}}

{{/* The canary image repository (falls back to the stable one). */}}
{{- define "my-app.frontend.canaryRepository" -}}
{{- default .Values.frontend.image.repository .Values.frontend.canary.image.repository -}}
{{- end -}}

{{/* Whether the Prometheus Operator's API is served (ServiceMonitor / PrometheusRule). */}}
{{- define "my-app.hasServiceMonitor" -}}
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" -}}true{{- end -}}
{{- end -}}
{{- define "my-app.hasPrometheusRule" -}}
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/PrometheusRule" -}}true{{- end -}}
{{- end -}}

{{/*
The `--expect-split` of the loadgen Job: explicit, or "auto": from the image tags and the weight when
Istio splits frontend-service by weight (its in-mesh VirtualService; the services report their image's
compiled version, the tag, in X-App-Version). The Job sends to frontend-service, which the Gateway API's
HTTPRoute does not govern (it splits at the Gateway only), so without Istio there is no split gate.
*/}}
{{- define "my-app.loadgen.expectSplit" -}}
{{- $l := .Values.loadgen -}}
{{- $fe := .Values.frontend -}}
{{- if eq (toString $l.expectSplit) "auto" -}}
{{- if and $fe.canary.enabled .Values.istio.enabled -}}
{{- if eq (toString $fe.image.tag) (toString $fe.canary.image.tag) -}}
{{- printf "%s=100" (toString $fe.image.tag) -}}
{{- else -}}
{{- printf "%s=%d,%s=%d" (toString $fe.image.tag) (sub 100 (int $fe.canary.weight)) (toString $fe.canary.image.tag) (int $fe.canary.weight) -}}
{{- end -}}
{{- end -}}
{{- else -}}
{{- toString $l.expectSplit -}}
{{- end -}}
{{- end -}}

{{/*
checkov's skip of "the default namespace should not be used" (CKV_K8S_21): the namespace is the one
given to `helm install -n`, and the tutorial installs into `default` on purpose (it labels it for
Istio's injection). Call with the annotation's index.
*/}}
{{- define "my-app.checkovNamespaceSkip" -}}
checkov.io/skip{{ . }}: CKV_K8S_21=The namespace is the release's (helm install -n); the tutorial uses default.
{{- end -}}

{{/*
Progressive delivery (progressiveDelivery.*): "true" when Flagger, or Argo Rollouts, takes over the
frontend's rollouts. values.schema.json allows at most one of them, and only with istio.enabled.
*/}}
{{- define "my-app.flagger" -}}
{{- if .Values.progressiveDelivery.flagger.enabled -}}true{{- end -}}
{{- end -}}
{{- define "my-app.argoRollouts" -}}
{{- if .Values.progressiveDelivery.argoRollouts.enabled -}}true{{- end -}}
{{- end -}}

{{/*
Labels that every frontend pod of the release carries, including the `-primary` copy that Flagger makes
of frontend-app-deployment: Flagger rewrites the first of its selector labels (`app`) on that copy to
`frontend-primary` and keeps all others. Policies and budgets that mean "every frontend pod" select by
these with Flagger; otherwise by my-app.frontend.selectorLabels, as before.
*/}}
{{- define "my-app.frontend.everyPodLabels" -}}
{{- if include "my-app.flagger" . -}}
app.kubernetes.io/name: frontend
app.kubernetes.io/instance: {{ .Release.Name }}
{{- else -}}
{{ include "my-app.frontend.selectorLabels" . }}
{{- end -}}
{{- end -}}

{{/* The loadgen server (loadgen serve): on its own (loadgen.server.enabled), or for Flagger's webhooks. */}}
{{- define "my-app.loadgen.serverEnabled" -}}
{{- if or .Values.loadgen.server.enabled (include "my-app.flagger" .) -}}true{{- end -}}
{{- end -}}

{{/* The name of the loadgen server's Service (and Deployment): Flagger's webhooks call http://<it>.<namespace>/. */}}
{{- define "my-app.loadgen.serverName" -}}
loadgen
{{- end -}}

{{/* The URL of the loadgen server's Service, as Flagger's controller in another namespace calls it. */}}
{{- define "my-app.loadgen.serverURL" -}}
{{- printf "http://%s.%s/" (include "my-app.loadgen.serverName" .) .Release.Namespace -}}
{{- end -}}

{{/* Selector of the loadgen server's pod. */}}
{{- define "my-app.loadgen.serverSelectorLabels" -}}
app: loadgen
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: loadgen-server
{{- end -}}

{{/* Whether anything runs loadgen with the loadgen ServiceAccount: the Job, the server, Argo's analysis Job. */}}
{{- define "my-app.loadgen.serviceAccount" -}}
{{- if or .Values.loadgen.enabled (include "my-app.loadgen.serverEnabled" .) (include "my-app.argoRollouts" .) -}}true{{- end -}}
{{- end -}}

{{/*
The pod template of a run-to-completion loadgen pod: the loadgen Job's and the Job of Argo Rollouts'
AnalysisTemplate. A client only (label skalar.io/client: no ingress), the restricted security context,
the native sidecar of Jobs. Call with (dict "root" $ "args" "<a YAML list>" "waitForFrontend" bool).
*/}}
{{- define "my-app.loadgen.jobPodTemplate" -}}
{{- $ := .root -}}
{{- $l := $.Values.loadgen -}}
metadata:
  labels:
    app: loadgen
    app.kubernetes.io/name: loadgen
    app.kubernetes.io/instance: {{ $.Release.Name }}
    app.kubernetes.io/component: loadgen
    app.kubernetes.io/part-of: skalar
    skalar.io/client: "true"
    {{- with include "my-app.istioInjectLabel" $ }}
    {{- . | nindent 4 }}
    {{- end }}
  {{- with include "my-app.jobPodAnnotations" $ }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
spec:
  restartPolicy: Never
  serviceAccountName: loadgen
  automountServiceAccountToken: false
  enableServiceLinks: false
  securityContext:
    {{- include "my-app.podSecurityContext" $ | nindent 4 }}
  {{- with $.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if .waitForFrontend }}
  initContainers:
    - name: wait-for-frontend
      image: {{ include "my-app.image" $.Values.tests.image | quote }}
      imagePullPolicy: {{ $.Values.tests.image.pullPolicy }}
      command:
        - sh
        - -c
        - |
          until timeout 5 wget -q -O /dev/null http://frontend-service:{{ $.Values.frontend.service.port }}/readyz; do
            echo "waiting for frontend-service"; sleep 2
          done
      securityContext:
        {{- include "my-app.containerSecurityContext" $ | nindent 8 }}
      resources:
        {{- toYaml $.Values.tests.resources | nindent 8 }}
  {{- end }}
  containers:
    - name: loadgen
      image: {{ include "my-app.image" $l.image | quote }}
      imagePullPolicy: {{ $l.image.pullPolicy }}
      args:
        {{- .args | nindent 8 }}
      securityContext:
        {{- include "my-app.containerSecurityContext" $ | nindent 8 }}
      resources:
        {{- toYaml $l.resources | nindent 8 }}
{{- end -}}

{{/* The arguments of the loadgen Job (loadgen-job.yaml), from loadgen.*: a YAML list. */}}
{{- define "my-app.loadgen.jobArgs" -}}
{{- $l := .Values.loadgen -}}
{{- $split := include "my-app.loadgen.expectSplit" . -}}
{{- range $l.targets }}
- {{ . | quote }}
{{- end }}
- --connections
- {{ $l.connections | quote }}
{{- if ne $l.rate nil }}
- --rate
- {{ $l.rate | quote }}
{{- end }}
{{- with $l.duration }}
- --duration
- {{ . | quote }}
{{- end }}
{{- if ne $l.requests nil }}
- --requests
- {{ $l.requests | quote }}
{{- end }}
{{- with $l.shape }}
- --shape
- {{ . | quote }}
{{- end }}
{{- with $l.maxErrorRate }}
- --max-error-rate
- {{ . | quote }}
{{- end }}
{{- with $l.maxP99 }}
- --max-p99
- {{ . | quote }}
{{- end }}
{{- with $split }}
- --expect-split
- {{ . | quote }}
- --split-tolerance
- {{ $l.splitTolerance | quote }}
- --confidence
- {{ $l.confidence | quote }}
{{- end }}
{{- range $l.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/*
"true" when the loadgen server gets a PeerAuthentication of its own (loadgen-server-peerauthentication.yaml:
plain text accepted on 8080 for Flagger's controller). Its pod then does not carry
app.kubernetes.io/part-of, so that the release's PeerAuthentication (which selects by it) does not
select it as well: Istio applies only one selector-based policy to a workload, the oldest.
*/}}
{{- define "my-app.loadgen.serverOwnPeerAuthentication" -}}
{{- $pa := .Values.istio.peerAuthentication -}}
{{- if and (include "my-app.loadgen.serverEnabled" .) .Values.istio.enabled $pa.enabled .Values.loadgen.server.acceptPlaintext -}}true{{- end -}}
{{- end -}}
