// Saving a call or a campaign to a file the dispatcher picks: JSON, CSV or a readable transcript.
import { save } from "@tauri-apps/plugin-dialog";
import { api } from "./api";
import type { CallId, ExportFormat } from "./bindings";

const EXTENSIONS: Record<ExportFormat, string> = { json: "json", csv: "csv", text: "txt" };

/** Asks where to save and writes the export: "Saved PATH", or `null` when cancelled. A failure
 * rejects (with the reason, naming the path), for the caller to show. */
export async function exportToFile(
  target: { callId: CallId } | { campaignId: number },
  format: ExportFormat,
  baseName: string,
): Promise<string | null> {
  const extension = EXTENSIONS[format];
  const path = await save({
    defaultPath: `${baseName}.${extension}`,
    filters: [{ name: format === "text" ? "Transcript" : format.toUpperCase(), extensions: [extension] }],
  });
  if (!path) return null;
  await api.exportHistory(target, format, path);
  return `Saved ${path}`;
}
