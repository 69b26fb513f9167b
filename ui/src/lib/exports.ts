// Saving to a file the dispatcher picks: a call or a campaign (JSON, CSV, Excel or a readable
// transcript), the Analytics figures (CSV or Excel), and the save dialog's choices that every
// export offers.
import { save } from "@tauri-apps/plugin-dialog";
import { api } from "./api";
import type { AnalyticsFilter, CallId, ExportFormat } from "./bindings";

const FILTERS: Record<ExportFormat, { name: string; extensions: string[] }> = {
  csv: { name: "CSV", extensions: ["csv"] },
  xlsx: { name: "Excel workbook", extensions: ["xlsx"] },
  json: { name: "JSON", extensions: ["json"] },
  text: { name: "Text", extensions: ["txt"] },
};

/** Asks where to save, offering `formats` (the first one by default); `null` when cancelled. */
export async function chooseExportPath(baseName: string, formats: ExportFormat[]): Promise<string | null> {
  const first = FILTERS[formats[0] ?? "csv"];
  return save({ defaultPath: `${baseName}.${first.extensions[0]}`, filters: formats.map((format) => FILTERS[format]) });
}

/** Asks where to save and writes the export: "Saved PATH", or `null` when cancelled. A failure
 * rejects (with the reason, naming the path), for the caller to show. */
export async function exportToFile(
  target: { callId: CallId } | { campaignId: number },
  format: ExportFormat,
  baseName: string,
): Promise<string | null> {
  const path = await chooseExportPath(baseName, [format]);
  if (!path) return null;
  await api.exportHistory(target, format, path);
  return `Saved ${path}`;
}

/** Asks where to save the figures for `filter` and writes them: "Saved PATH", or `null` when
 * cancelled; a failure rejects, for the caller to show. */
export async function exportAnalyticsToFile(filter: AnalyticsFilter, format: ExportFormat): Promise<string | null> {
  const path = await chooseExportPath("analytics", [format]);
  if (!path) return null;
  await api.exportAnalytics(filter, format, path);
  return `Saved ${path}`;
}
