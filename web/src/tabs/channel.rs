//! The browser side of a tab peer: one `BroadcastChannel` per room, delayed posts, and the
//! tab's identity and replica in storage. The tab's peer id lives in `sessionStorage` (it
//! survives a reload, and every tab has its own); its replica lives in `localStorage` under
//! `chronoscope-editor:<mode>:<room>:<id>`, and `…:last` names the tab that saved last, so a
//! closed and reopened tab (a new id) starts from the room's latest replica.

use wasm_bindgen::JsValue;
use web_sys::{BroadcastChannel, Storage};

use super::peer::{Mode, Outgoing};

/// The channel name for a room.
pub fn channel_name(room: &str, mode: Mode) -> String {
    format!("chronoscope-editor:{}:{room}", mode_name(mode))
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Crdt => "rga",
        Mode::Naive => "naive",
    }
}

/// The current wall-clock time in ms (shared by all tabs).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// `N` random bytes from the platform's secure generator (`crypto.getRandomValues` in the
/// browser, through `getrandom`); `None` if it is unavailable.
fn secure_bytes<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).ok().map(|()| bytes)
}

/// A random non-zero 32-bit peer id, from `getrandom` (two tabs drawing the same id would
/// share a clock entry; `Math.random` is only the fallback where no secure source exists).
pub fn random_id() -> u32 {
    for _ in 0..4 {
        match secure_bytes::<4>().map(u32::from_le_bytes) {
            Some(0) => continue,
            Some(id) => return id,
            None => break,
        }
    }
    ((js_sys::Math::random() * f64::from(u32::MAX - 1)) as u32).max(1)
}

/// A random 64-bit seed (for the tab's simulated drops), from `getrandom`, falling back to
/// `Math.random`.
pub fn random_seed() -> u64 {
    secure_bytes::<8>()
        .map(u64::from_le_bytes)
        .unwrap_or_else(|| (js_sys::Math::random() * 9.0e15) as u64)
}

/// Posts each message after its delay. A closed channel makes posting fail; that is fine.
pub fn post_all(channel: &BroadcastChannel, out: Vec<Outgoing>) {
    for o in out {
        if o.delay_ms == 0 {
            let _ = channel.post_message(&JsValue::from_str(&o.json));
        } else {
            let channel = channel.clone();
            gloo_timers::callback::Timeout::new(o.delay_ms, move || {
                let _ = channel.post_message(&JsValue::from_str(&o.json));
            })
            .forget();
        }
    }
}

fn session() -> Option<Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn local() -> Option<Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn key(room: &str, mode: Mode, suffix: &str) -> String {
    format!("chronoscope-editor:{}:{room}:{suffix}", mode_name(mode))
}

/// This tab's peer id for the room (kept across reloads in `sessionStorage`), and the
/// replica to restore, if any.
pub fn identity(room: &str, mode: Mode) -> (u32, Option<String>) {
    let id_key = key(room, mode, "id");
    let stored = session()
        .and_then(|s| s.get_item(&id_key).ok().flatten())
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|v| *v != 0);
    let storage = local();
    let own = stored.and_then(|id| {
        let saved = storage
            .as_ref()?
            .get_item(&key(room, mode, &id.to_string()))
            .ok()??;
        Some((id, saved))
    });
    let (id, saved) = match own {
        Some((id, saved)) => (id, Some(saved)),
        None => {
            // New tab (or its replica is gone): a fresh id, starting from the room's latest.
            let latest = storage.as_ref().and_then(|s| {
                let last = s.get_item(&key(room, mode, "last")).ok()??;
                s.get_item(&key(room, mode, &last)).ok()?
            });
            (random_id(), latest)
        }
    };
    if let Some(s) = session() {
        let _ = s.set_item(&id_key, &id.to_string());
    }
    (id, saved)
}

/// Saves this tab's replica; an error (quota) is returned for display.
pub fn save(room: &str, mode: Mode, id: u32, json: &str) -> Result<(), String> {
    let storage = local().ok_or("no localStorage")?;
    storage
        .set_item(&key(room, mode, &id.to_string()), json)
        .and_then(|_| storage.set_item(&key(room, mode, "last"), &id.to_string()))
        .map_err(|_| "could not save the replica (storage full?)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_secure_generator_and_are_never_zero() {
        assert!(secure_bytes::<4>().is_some());
        let ids: std::collections::BTreeSet<u32> = (0..64).map(|_| random_id()).collect();
        assert!(!ids.contains(&0));
        assert!(
            ids.len() > 60,
            "64 draws of 32 bits should not collide: {ids:?}"
        );
        assert_ne!(random_seed(), random_seed());
    }
}
