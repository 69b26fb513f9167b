//! End-to-end tests of the real Switchboard app: the built binary in a real WebKit window,
//! driven through tauri-driver and WebKitWebDriver. Run under Xvfb and a D-Bus session
//! (`make test` does both).

mod address_book;
mod agents;
mod analytics;
mod app;
mod call_control;
mod campaigns;
mod connection;
mod console_flow;
mod contact_checks;
mod contacts;
mod costs;
mod driver_reviews;
mod elevenlabs_audio;
mod first_run;
mod history;
mod keys;
mod listen;
mod page_errors;
mod profile;
mod rehearsals;
mod rfq;
mod settings;
mod speakers;
mod spreadsheets;
mod startup;
mod team;
mod team_audio;
