// The window's theme: light or dark as the OS says ("system"), or as chosen in Settings.
// Applied as `data-theme` on <html>, which app.css reads.

export type Theme = "system" | "light" | "dark";

export const THEMES: [Theme, string][] = [
  ["system", "As the system (light or dark)"],
  ["light", "Light"],
  ["dark", "Dark"],
];

const osDark = window.matchMedia("(prefers-color-scheme: dark)");
let chosen: Theme = "system";

/** Calls `redraw` whenever the theme shown changes (for what reads its colours, as charts do);
 * returns the function that stops it. */
export function onThemeChange(redraw: () => void): () => void {
  const observer = new MutationObserver(redraw);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  return () => observer.disconnect();
}

/** Shows `theme` now, and for "system" follows the OS setting as it changes. */
export function applyTheme(theme: Theme): void {
  chosen = theme;
  const shown = theme === "system" ? (osDark.matches ? "dark" : "light") : theme;
  document.documentElement.dataset.theme = shown;
}

osDark.addEventListener("change", () => applyTheme(chosen));
applyTheme("system");
