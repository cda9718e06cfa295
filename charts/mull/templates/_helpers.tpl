{{/*
Names and labels shared by every template. Names are truncated to 63 characters (the DNS label
limit for Service names) and trimmed of a trailing "-".
*/}}

{{- define "mull.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's base name: fullnameOverride, else <release>, else <release>-<chart>. */}}
{{- define "mull.fullname" -}}
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

{{- define "mull.operator.fullname" -}}
{{- printf "%s-operator" (include "mull.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mull.router.fullname" -}}
{{- printf "%s-router" (include "mull.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Cluster-scoped objects (ClusterRole, ClusterRoleBinding) carry the release namespace too, so two
releases of the same name in different namespaces do not fight over one ClusterRole.
*/}}
{{- define "mull.operator.clusterName" -}}
{{- printf "%s-%s" (include "mull.operator.fullname" .) .Release.Namespace }}
{{- end }}

{{- define "mull.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object the chart makes. */}}
{{- define "mull.labels" -}}
helm.sh/chart: {{ include "mull.chart" . }}
app.kubernetes.io/name: {{ include "mull.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mull
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels: stable across upgrades (a Deployment's selector is immutable). */}}
{{- define "mull.operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mull.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "mull.router.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mull.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: router
{{- end }}

{{- define "mull.operator.labels" -}}
{{ include "mull.labels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "mull.router.labels" -}}
{{ include "mull.labels" . }}
app.kubernetes.io/component: router
{{- end }}

{{- define "mull.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (include "mull.operator.fullname" .) .Values.operator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "mull.router.serviceAccountName" -}}
{{- if .Values.router.serviceAccount.create }}
{{- default (include "mull.router.fullname" .) .Values.router.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.router.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "mull.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The namespace the operator watches: "" means all namespaces. */}}
{{- define "mull.operator.watchNamespace" -}}
{{- .Values.operator.watchNamespace }}
{{- end }}
