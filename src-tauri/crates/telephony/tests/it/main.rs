//! Integration tests of the telephony side over real loopback sockets and a real store.

mod listener;

use switchboard_store::Store;

/// Seeds the first shipped preset (the vendor quote) and the sample vendors.
pub fn seed(store: &Store) {
    use switchboard_engine::sample::{PRESETS, SAMPLE_CONTACTS, seed_once};
    assert!(seed_once(store, &PRESETS[..1], &SAMPLE_CONTACTS[..1]).unwrap());
}
