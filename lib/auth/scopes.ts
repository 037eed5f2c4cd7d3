/**
 * @module
 * OAuth scopes (CONTRACT §4, §11): Datadog's default set, the read-only subset, and the
 * `--scopes` / `--extra-scopes` / `--read-only` arithmetic.
 */
import { usageError } from "../errors.ts";

/** Datadog's canonical default scopes (CONTRACT §11). */
export const DEFAULT_SCOPES: readonly string[] = `
apm_generate_metrics apm_read apm_remote_configuration_read apm_remote_configuration_write
apm_service_catalog_read apm_service_ingest_read apm_service_ingest_write
apm_service_renaming_write apps_run apps_write connections_read audit_logs_read
aws_configuration_read azure_configuration_read bits_investigations_read
bits_investigations_write cases_read cases_write ci_visibility_read code_coverage_read
cloud_cost_management_read cloud_cost_management_write dora_metrics_read dora_metrics_write
test_optimization_read test_optimization_write debugger_read debugger_write
debugger_capture_variables dashboards_read dashboards_write data_scanner_read
data_streams_monitoring_capture_messages built_in_features dbm_read error_tracking_read
events_read feature_flag_config_read feature_flag_config_write
feature_flag_environment_config_read feature_flag_environment_config_write
gcp_configuration_read disaster_recovery_status_read disaster_recovery_status_write hosts_read
host_tags_write incident_read incident_write incident_notification_settings_read
incident_settings_read incident_settings_write integrations_read manage_integrations
llm_observability_read llm_observability_write logs_generate_metrics logs_modify_indexes
logs_read_archives logs_read_config logs_read_data logs_read_index_data logs_write_archives
logs_write_pipelines saved_views_write metrics_read monitors_read monitors_write
monitors_downtime notebooks_read notebooks_write observability_pipelines_read
observability_pipelines_deploy observability_pipelines_delete oci_configuration_edit
oci_configuration_read oci_configurations_manage on_call_read on_call_write org_management
reference_tables_read reference_tables_write rum_apps_read rum_apps_write rum_generate_metrics
rum_retention_filters_read rum_retention_filters_write rum_session_replay_read
security_monitoring_filters_read security_monitoring_filters_write
security_monitoring_findings_read security_monitoring_findings_write
security_monitoring_rules_read security_monitoring_rules_write security_monitoring_signals_read
slos_read slos_write status_pages_incident_write status_pages_settings_read
status_pages_settings_write synthetics_read synthetics_write synthetics_private_location_read
teams_manage teams_read timeseries_query usage_read user_access_read workflows_read
workflows_run workflows_write
`.trim().split(/\s+/);

const READ_ONLY_EXTRAS = new Set(["apps_run", "built_in_features", "timeseries_query"]);

/** Whether a scope belongs to the read-only set (CONTRACT §11). */
export function isReadScope(scope: string): boolean {
  if (scope === "debugger_read") return false;
  return scope.endsWith("_read") || scope.startsWith("logs_read_") || READ_ONLY_EXTRAS.has(scope);
}

/** The read-only subset of the default scopes. */
export const READ_ONLY_SCOPES: readonly string[] = DEFAULT_SCOPES.filter(isReadScope);

/** Splits `a,b c` into scope names, rejecting anything that is not a scope token. */
export function parseScopeList(value: string, flag: string): string[] {
  const scopes = value.split(/[,\s]+/).filter(Boolean);
  for (const s of scopes) {
    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s)) {
      throw usageError(`invalid scope "${s}" in ${flag}: expected names like monitors_read`);
    }
  }
  if (scopes.length === 0) throw usageError(`${flag} needs at least one scope`);
  return scopes;
}

/** How the user asked for scopes. */
export interface ScopeRequest {
  scopes?: string[];
  extraScopes?: string[];
  readOnly?: boolean;
  /** `profiles.<org>.scopes`, else `scopes:` from config.yaml. */
  configScopes?: string[];
}

/**
 * The scopes to request: `--scopes` (else config, else the defaults), plus `--extra-scopes`,
 * then `--read-only` keeps only the read scopes. Order is kept; duplicates dropped.
 */
export function resolveScopes(req: ScopeRequest): string[] {
  let base = req.scopes ?? req.configScopes ?? [...DEFAULT_SCOPES];
  base = [...base, ...(req.extraScopes ?? [])];
  if (req.readOnly) base = base.filter(isReadScope);
  const out = [...new Set(base)];
  if (out.length === 0) {
    throw usageError("no scopes left to request", "--read-only keeps only *_read scopes");
  }
  return out;
}
