{{/*
The HorizontalPodAutoscaler (autoscaling/v2) of a service's Deployment, and its PodDisruptionBudget: the
frontend's and, with PostgreSQL, the backend's. Call with (dict "root" $ "name" "frontend" "component" "web"
"v" .Values.frontend "deployment" "frontend-app-deployment"), and "rollout" true when the target is an Argo
Rollout of that name instead of a Deployment.
*/}}
{{- define "my-app.horizontalPodAutoscaler" -}}
{{- $a := .v.autoscaling -}}
{{- if gt (int $a.minReplicas) (int $a.maxReplicas) -}}
{{- fail (printf "%s.autoscaling.minReplicas (%v) exceeds maxReplicas (%v)" .name $a.minReplicas $a.maxReplicas) -}}
{{- end -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ .name }}-app-hpa
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "my-app.componentLabels" (dict "root" .root "name" .name "component" .component) | nindent 4 }}
spec:
  scaleTargetRef:
    {{- if .rollout }}
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    {{- else }}
    apiVersion: apps/v1
    kind: Deployment
    {{- end }}
    name: {{ .deployment }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    {{- $resources := list (list "cpu" $a.targetCPUUtilizationPercentage) }}
    {{- if ne $a.targetMemoryUtilizationPercentage nil }}
    {{- $resources = append $resources (list "memory" $a.targetMemoryUtilizationPercentage) }}
    {{- end }}
    {{- $container := .name }}
    {{- range $resources }}
    {{- if $a.containerMetrics }}
    - type: ContainerResource
      containerResource:
        name: {{ index . 0 }}
        container: {{ $container }}
        target:
          type: Utilization
          averageUtilization: {{ index . 1 }}
    {{- else }}
    - type: Resource
      resource:
        name: {{ index . 0 }}
        target:
          type: Utilization
          averageUtilization: {{ index . 1 }}
    {{- end }}
    {{- end }}
  behavior:
    scaleUp:
      stabilizationWindowSeconds: {{ $a.behavior.scaleUp.stabilizationWindowSeconds }}
      selectPolicy: Max
      policies:
        - type: Pods
          value: {{ $a.behavior.scaleUp.podsPerPeriod }}
          periodSeconds: {{ $a.behavior.scaleUp.periodSeconds }}
        - type: Percent
          value: {{ $a.behavior.scaleUp.percentPerPeriod }}
          periodSeconds: {{ $a.behavior.scaleUp.periodSeconds }}
    scaleDown:
      stabilizationWindowSeconds: {{ $a.behavior.scaleDown.stabilizationWindowSeconds }}
      selectPolicy: Max
      policies:
        - type: Percent
          value: {{ $a.behavior.scaleDown.percentPerPeriod }}
          periodSeconds: {{ $a.behavior.scaleDown.periodSeconds }}
{{- end -}}

{{/*
A PodDisruptionBudget that limits voluntary evictions (node drains) of a service's pods. Call with
(dict "root" $ "name" "frontend" "component" "web" "v" .Values.frontend "selector" "<selector labels>").
*/}}
{{- define "my-app.podDisruptionBudget" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}-app-pdb
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "my-app.componentLabels" (dict "root" .root "name" .name "component" .component) | nindent 4 }}
spec:
  maxUnavailable: {{ .v.podDisruptionBudget.maxUnavailable }}
  # Evict even a pod that is not ready (a crash-looping pod must not block a node drain).
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchLabels:
      {{- .selector | nindent 6 }}
{{- end -}}
