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

{{/*
The operator's --max-old-space-size in MB: heapPercent of resources.limits.memory (a Kubernetes
quantity: plain bytes, k/M/G/T or Ki/Mi/Gi/Ti). Empty without a memory limit or with heapPercent 0.
*/}}
{{- define "mull.operator.heapMB" -}}
{{- $limit := toString (dig "limits" "memory" "" .Values.operator.resources) }}
{{- $percent := int .Values.operator.heapPercent }}
{{- if and $limit (gt $percent 0) }}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $limit }}
{{- $unit := trimPrefix $number $limit }}
{{- $factors := dict "" 1.0 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 }}
{{- if or (not $number) (not (hasKey $factors $unit)) }}
{{- fail (printf "operator.resources.limits.memory %q is not a memory quantity heapPercent can size the heap from" $limit) }}
{{- end }}
{{- $bytes := mulf (float64 $number) (get $factors $unit) }}
{{- divf (mulf $bytes (float64 $percent)) 104857600.0 | floor | int }}
{{- end }}
{{- end }}

{{/*
topologySpreadConstraints with the component's selector labels filled in where a constraint has
no labelSelector. Call with (dict "constraints" <list> "selector" <selector labels YAML>).
*/}}
{{- define "mull.topologySpread" -}}
{{- $selector := fromYaml .selector }}
{{- $out := list }}
{{- range .constraints }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" (dict "matchLabels" $selector) }}
{{- end }}
{{- $out = append $out $c }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* The namespaces whose vLLM pools get pool NetworkPolicies and the pools' PodMonitor. */}}
{{- define "mull.poolNamespaces" -}}
{{- $ns := .Values.networkPolicy.pools.namespaces }}
{{- if not $ns }}
{{- $ns = list .Release.Namespace }}
{{- with .Values.operator.watchNamespace }}
{{- $ns = append $ns . }}
{{- end }}
{{- end }}
{{- toJson (uniq $ns) }}
{{- end }}

{{/* The policy the router serves: its ConfigMap is <policy>-router (controller/desired/naming.ts). */}}
{{- define "mull.router.policy" -}}
{{- trimSuffix "-router" .Values.router.policyConfigMap }}
{{- end }}

{{/* Labels the operator puts on every vLLM pool pod (controller/desired/naming.ts poolLabels). */}}
{{- define "mull.poolSelector" -}}
app.kubernetes.io/name: vllm
app.kubernetes.io/managed-by: mull-operator
{{- end }}
