{{/*
The backend's database: which engine, which PostgreSQL server, and how the backend reaches it
(DATABASE_URL without the password, PGPASSWORD from a Secret). The schema guarantees that with
postgresql exactly one server is enabled, and with sqlite none.
*/}}

{{/* "true" when the backend runs on PostgreSQL (a Deployment), empty on SQLite (the StatefulSet). */}}
{{- define "my-app.backend.onPostgresql" -}}
{{- if eq .Values.backend.database.engine "postgresql" -}}true{{- end -}}
{{- end -}}

{{/* "true" when the backend's HPA is on: PostgreSQL, and backend.autoscaling.enabled not false (null is on). */}}
{{- define "my-app.backend.autoscaled" -}}
{{- if and (include "my-app.backend.onPostgresql" .) (ne .Values.backend.autoscaling.enabled false) -}}true{{- end -}}
{{- end -}}

{{/*
The backend's preStopSleepSeconds: the value, or for null 0 on SQLite (no other pod takes the traffic)
and 5 on PostgreSQL (the endpoint lag, as the frontend's). The templates that read the termination
timeline (the pod, its checks, the notes) set it into a deepCopy of .Values.backend, which keeps the
values' types (a toYaml/fromYaml round trip would turn 1000000 into 1e+06).
*/}}
{{- define "my-app.backend.preStopSleepSeconds" -}}
{{- $sleep := .Values.backend.preStopSleepSeconds -}}
{{- if eq $sleep nil -}}
{{- ternary 5 0 (eq .Values.backend.database.engine "postgresql") -}}
{{- else -}}
{{- int $sleep -}}
{{- end -}}
{{- end -}}

{{/* The CloudNativePG Cluster's name, from which the operator names its Services and Secrets. */}}
{{- define "my-app.cnpg.name" -}}postgresql-cluster{{- end -}}

{{/* Selector of the bundled PostgreSQL pod. */}}
{{- define "my-app.bundled.selectorLabels" -}}
app: postgresql
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector of the CloudNativePG instances: the label the operator gives every pod of the Cluster. */}}
{{- define "my-app.cnpg.selectorLabels" -}}
cnpg.io/cluster: {{ include "my-app.cnpg.name" . }}
{{- end -}}

{{/* The Secret the bundled server's password is in: existingSecret, or the chart's postgresql-credentials. */}}
{{- define "my-app.bundled.secretName" -}}
{{- default "postgresql-credentials" .Values.postgresql.bundled.existingSecret -}}
{{- end -}}
{{- define "my-app.bundled.secretKey" -}}
{{- if .Values.postgresql.bundled.existingSecret -}}{{ .Values.postgresql.bundled.existingSecretPasswordKey }}{{- else -}}password{{- end -}}
{{- end -}}

{{/*
How the backend reaches its PostgreSQL server, as YAML: host, port, database, user, sslmode, and the
Secret (name, key) with the password. CloudNativePG's conventions: the Service <cluster>-rw is the
primary, the Secret <cluster>-app holds the owner's password under `password`, <cluster>-ca the CA.
*/}}
{{- define "my-app.database.server" -}}
{{- $ext := .Values.externalDatabase -}}
{{- $cnpg := .Values.postgresql.cnpg -}}
{{- $bundled := .Values.postgresql.bundled -}}
{{- if $ext.enabled -}}
host: {{ $ext.host | quote }}
port: {{ $ext.port }}
database: {{ $ext.database | quote }}
user: {{ $ext.user | quote }}
sslmode: {{ $ext.sslmode | quote }}
secret: {{ $ext.existingSecret | quote }}
key: {{ $ext.existingSecretPasswordKey | quote }}
{{- else if $cnpg.enabled -}}
host: {{ include "my-app.cnpg.name" . }}-rw
port: 5432
database: {{ $cnpg.database | quote }}
user: {{ $cnpg.owner | quote }}
sslmode: {{ $cnpg.sslmode | quote }}
secret: {{ include "my-app.cnpg.name" . }}-app
key: password
caSecret: {{ include "my-app.cnpg.name" . }}-ca
{{- else if $bundled.enabled -}}
host: postgresql-service
port: 5432
database: {{ $bundled.database | quote }}
user: {{ $bundled.user | quote }}
{{- /* Inside the cluster only; with a sidecar on both ends, Istio's mTLS encrypts the hop. */}}
sslmode: disable
secret: {{ include "my-app.bundled.secretName" . | quote }}
key: {{ include "my-app.bundled.secretKey" . | quote }}
{{- end -}}
{{- end -}}

{{/*
The backend container's database environment on PostgreSQL: DATABASE_URL (a libpq URI without the
password), PGPASSWORD from the Secret, and for CloudNativePG with verify-ca/verify-full the cluster's CA
as PGSSLROOTCERT (mounted by my-app.backend.podTemplate).
*/}}
{{- define "my-app.database.env" -}}
{{- $s := include "my-app.database.server" . | fromYaml -}}
- name: DATABASE_URL
  value: {{ printf "postgres://%s@%s:%v/%s?sslmode=%s" $s.user $s.host $s.port $s.database $s.sslmode | quote }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $s.secret }}
      key: {{ $s.key }}
{{- if include "my-app.database.verifiesServer" . }}
- name: PGSSLROOTCERT
  value: /etc/skalar/postgresql-ca/ca.crt
{{- end }}
{{- end -}}

{{/* "true" when the backend checks a CloudNativePG server's certificate against the cluster's CA. */}}
{{- define "my-app.database.verifiesServer" -}}
{{- if and .Values.postgresql.cnpg.enabled (has .Values.postgresql.cnpg.sslmode (list "verify-ca" "verify-full")) -}}true{{- end -}}
{{- end -}}
