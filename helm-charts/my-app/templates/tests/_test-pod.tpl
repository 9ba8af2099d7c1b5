{{/*
A `helm test` pod running a busybox script. Call with (dict "root" $ "name" "..." "script" "...").
*/}}
{{- define "my-app.testPod" -}}
{{- $ := .root -}}
apiVersion: v1
kind: Pod
metadata:
  name: {{ .name }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "my-app.componentLabels" (dict "root" $ "name" "helm-test" "component" "test") | nindent 4 }}
    skalar.io/client: "true"
    {{- with include "my-app.istioInjectLabel" $ }}
    {{- . | nindent 4 }}
    {{- end }}
  annotations:
    "helm.sh/hook": test
    # Keep a failed test pod for `kubectl logs`; remove it before the next run and after success.
    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded
    {{- with include "my-app.jobPodAnnotations" $ }}
    {{- . | nindent 4 }}
    {{- end }}
    checkov.io/skip1: CKV_K8S_43=busybox by tag for the tests; tests.image.digest pins a digest.
    checkov.io/skip2: CKV_K8S_15=IfNotPresent keeps the tests working on clusters without registry access.
    # A run-to-completion check: it serves nothing that a probe could check.
    checkov.io/skip3: CKV_K8S_8=A test pod has no endpoint for a liveness probe.
    checkov.io/skip4: CKV_K8S_9=A test pod has no endpoint for a readiness probe.
    {{- include "my-app.checkovNamespaceSkip" 5 | nindent 4 }}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  enableServiceLinks: false
  securityContext:
    {{- include "my-app.podSecurityContext" $ | nindent 4 }}
  containers:
    - name: test
      image: {{ include "my-app.image" $.Values.tests.image | quote }}
      imagePullPolicy: {{ $.Values.tests.image.pullPolicy }}
      command:
        - sh
        - -c
        - |
          {{- .script | nindent 10 }}
      securityContext:
        {{- include "my-app.containerSecurityContext" $ | nindent 8 }}
      resources:
        {{- toYaml $.Values.tests.resources | nindent 8 }}
{{- end -}}
