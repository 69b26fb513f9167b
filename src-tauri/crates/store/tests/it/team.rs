//! Team accounts: sessions that expire, each account's own phone, the audit log.

use switchboard_core::UnixMillis;

use crate::TestDb;

fn an_account_signs_in_until_its_session_expires_and_keeps_its_own_phone(db: &TestDb) {
    let store = db.open();
    store.put_team_user("maria", "dispatcher", "$argon2id$hash", UnixMillis(1)).unwrap();
    let maria = store.team_user("maria").unwrap().unwrap();
    assert_eq!((maria.name.as_str(), maria.role.as_str()), ("maria", "dispatcher"));
    store.put_team_user("maria", "admin", "$argon2id$other", UnixMillis(2)).unwrap();
    assert_eq!(store.team_user("maria").unwrap().unwrap().role, "admin", "a second put changes the role");

    store.add_team_session("token-hash", maria.id, UnixMillis(10), UnixMillis(100)).unwrap();
    assert_eq!(store.team_session_user("token-hash", UnixMillis(99)).unwrap().map(|u| u.name), Some("maria".into()));
    assert_eq!(store.team_session_user("token-hash", UnixMillis(100)).unwrap(), None, "expired");

    assert_eq!(store.team_user_phone("maria").unwrap(), None);
    store.set_team_user_phone("maria", Some("+13125550100")).unwrap();
    assert_eq!(store.team_user_phone("maria").unwrap().as_deref(), Some("+13125550100"));
    store.set_team_user_phone("maria", None).unwrap();
    assert_eq!(store.team_user_phone("maria").unwrap(), None);
    store.add_audit(UnixMillis(11), "maria", "launchCampaign", "ok").unwrap();
}

on_both!(an_account_signs_in_until_its_session_expires_and_keeps_its_own_phone);
