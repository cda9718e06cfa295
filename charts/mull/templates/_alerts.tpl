{{/*
The alert webhook's shared pieces: the credentials Secret, the keys it holds (each one a flag of
`mull operator`), the URL Grafana posts to, and the scaling alerts after the values' overrides.
*/}}

{{- define "mull.alerts.fullname" -}}
{{- printf "%s-alerts" (include "mull.operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mull.alerts.secretName" -}}
{{- default (printf "%s-alerts" (include "mull.fullname" .)) .Values.alerts.auth.existingSecret }}
{{- end }}

{{/* The Secret's keys, as a JSON list: existingSecretKeys, or those the values fill in. */}}
{{- define "mull.alerts.keys" -}}
{{- $a := .Values.alerts.auth }}
{{- $keys := list }}
{{- if $a.existingSecret }}
{{- $keys = $a.existingSecretKeys }}
{{- else }}
{{- if $a.token }}{{ $keys = append $keys "token" }}{{ end }}
{{- if $a.basicAuth }}{{ $keys = append $keys "basic-auth" }}{{ end }}
{{- if $a.hmacSecret }}{{ $keys = append $keys "hmac-secret" }}{{ end }}
{{- end }}
{{- if not (or (has "token" $keys) (has "basic-auth" $keys)) }}
{{- fail "alerts.enabled needs a bearer token or basic auth: set alerts.auth.token or alerts.auth.basicAuth, or alerts.auth.existingSecret with existingSecretKeys listing token or basic-auth" }}
{{- end }}
{{- toJson $keys }}
{{- end }}

{{- define "mull.alerts.url" -}}
{{- $scheme := ternary "https" "http" (not (empty .Values.alerts.tls.secretName)) }}
{{- default (printf "%s://%s.%s.svc:%v/alerts/grafana" $scheme (include "mull.alerts.fullname" .) .Release.Namespace .Values.alerts.service.port) .Values.alerts.grafana.url }}
{{- end }}

{{/*
The alerts of rules/mull.rules.yaml's mull-scaling group after alerts.rules.<alert>, as a JSON
list of {rule, base, op, threshold}: base is the expression without its final comparison
"<op> <threshold>", which Grafana's rules split into query A and threshold C.
*/}}
{{- define "mull.scalingRules" -}}
{{- $out := list }}
{{- range (.Files.Get "rules/mull.rules.yaml" | fromYaml).groups }}
{{- if eq .name "mull-scaling" }}
{{- range .rules }}
{{- $o := get $.Values.alerts.rules .alert | default dict }}
{{- if or (not (hasKey $o "enabled")) $o.enabled }}
{{- $r := deepCopy . }}
{{- $cmp := regexFind "[<>]\\s*[0-9][0-9.eE+-]*\\s*$" $r.expr }}
{{- if not $cmp }}
{{- fail (printf "rules/mull.rules.yaml: %s must end in \"> <threshold>\"" $r.alert) }}
{{- end }}
{{- $op := substr 0 1 $cmp }}
{{- $threshold := trim (substr 1 (len $cmp) $cmp) }}
{{- if hasKey $o "threshold" }}
{{- $threshold = toString $o.threshold }}
{{- end }}
{{- $base := trimSuffix $cmp $r.expr | trim }}
{{- with $o.window }}
{{- $base = regexReplaceAll "\\[[0-9]+(ms|s|m|h|d|w|y)\\]" $base (printf "[%s]" .) }}
{{- end }}
{{- if or (hasKey $o "threshold") $o.window }}
{{- $_ := set $r "expr" (printf "%s %s %s" $base $op $threshold) }}
{{- end }}
{{- if hasKey $o "for" }}
{{- $_ := set $r "for" $o.for }}
{{- end }}
{{- range $k, $v := $o.labels }}
{{- $_ := set $r.labels $k (toString $v) }}
{{- end }}
{{- $out = append $out (dict "rule" $r "base" $base "op" $op "threshold" $threshold) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson $out }}
{{- end }}
