//! Importing 10,000 vendor rows from CSV into a fresh SQLite file, end to end (parse, validate,
//! normalise phones, merge, write). `cargo bench -p switchboard-engine --bench contacts_import`
//! prints the figures; under `cargo test` it runs once on 200 rows as a smoke test.

use std::fmt::Write;
use std::time::{Duration, Instant};

use switchboard_engine::contacts::{ImportOptions, import_contacts};
use switchboard_store::Store;

fn vendors_csv(rows: usize) -> String {
    let mut csv = String::from("name,phone,email,location,item,quantity,target_price,tags\n");
    for i in 0..rows {
        // Distinct valid US numbers across several area codes, in mixed spellings.
        let area = [312, 216, 503, 512, 414][i % 5];
        let line = 1000 + i % 9000;
        let exchange = 200 + i / 9000;
        let phone = match i % 3 {
            0 => format!("({area}) {exchange}-{line}"),
            1 => format!("+1 {area} {exchange} {line}"),
            _ => format!("{area}.{exchange}.{line}"),
        };
        let _ = writeln!(
            csv,
            "Vendor {i},{phone},sales{i}@example.com,\"City {i}, ST\",M8 bolts,{},{:.2},east;bulk",
            1000 + i,
            0.4
        );
    }
    csv
}

fn import_once(csv: &str, rows: usize) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.sqlite3")).unwrap();
    let options = ImportOptions { kind: None, dry_run: false, region: "US".into(), sheet: None };
    let started = Instant::now();
    let report = import_contacts(&store, "vendors.csv", csv, &options).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(report.imported as usize, rows, "{}", report.to_text().lines().take(3).collect::<String>());
    elapsed
}

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let (rows, runs) = if benchmarking { (10_000, 7) } else { (200, 1) };
    let csv = vendors_csv(rows);
    let mut times: Vec<Duration> = (0..runs).map(|_| import_once(&csv, rows)).collect();
    times.sort();
    if benchmarking {
        let median = times[times.len() / 2];
        let rate = rows as f64 / median.as_secs_f64();
        // A bench binary's output is its result.
        #[allow(clippy::print_stdout)]
        {
            println!(
                "contacts_import: {rows} vendor rows ({} KiB CSV) into a new SQLite file: min {:.0} ms, median {:.0} ms, max {:.0} ms over {runs} runs ({rate:.0} rows/s)",
                csv.len() / 1024,
                times[0].as_secs_f64() * 1e3,
                median.as_secs_f64() * 1e3,
                times[runs - 1].as_secs_f64() * 1e3,
            );
        }
    }
}
