// Records every error the page meets (uncaught errors, unhandled promise rejections and
// console.error) in `window.pageErrors`, so the end-to-end tests can fail on any of them.
// Imported first by main.ts, so it is in place before anything else runs.

declare global {
  interface Window {
    /** What went wrong on this page, oldest first (read and emptied by the end-to-end tests). */
    pageErrors: string[];
  }
}

/** A readable account of whatever was thrown, rejected or logged. */
function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Starts recording into `window.pageErrors` (once: a second call changes nothing). */
export function recordPageErrors(): void {
  if (Array.isArray(window.pageErrors)) return;
  const errors: string[] = [];
  window.pageErrors = errors;
  window.addEventListener("error", (event) => {
    const where = event.filename ? ` (${event.filename}:${event.lineno})` : "";
    const what = event.error !== undefined && event.error !== null ? describe(event.error) : event.message;
    errors.push(`uncaught ${what}${where}`);
  });
  window.addEventListener("unhandledrejection", (event) => {
    errors.push(`unhandled promise rejection: ${describe(event.reason)}`);
  });
  const log = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    errors.push(`console.error: ${args.map(describe).join(" ")}`);
    log(...args);
  };
}

recordPageErrors();
