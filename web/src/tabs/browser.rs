//! The browser side of the tab runtime: one `BroadcastChannel` per room, one timeout armed
//! for the runtime's next deadline, delayed posts, incoming messages handled in batches
//! within a per-frame budget, and storage — the tab's token, seat and secret in
//! `sessionStorage` (kept across a reload, distinct per tab), each seat's saved protocol
//! state in `localStorage` under `<channel>:seat:<A>` (whoever sits there next starts from
//! it) and the seat saved last under `<channel>:last`. When the storage is full, the other
//! seats' saves of the room are removed first; a save that still fails is reported.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use chronoscope::node::NodeId;
use gloo_timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent, Storage};

use super::runtime::{Post, TabRuntime, WireCodec};

/// Milliseconds of incoming messages a tab handles per slice before it yields to the page.
pub const SLICE_MS: f64 = 8.0;
/// Messages handled between two looks at the clock.
const BATCH: usize = 16;
/// How often a changed protocol state is saved, at most (ms).
const SAVE_EVERY_MS: f64 = 1_000.0;

/// The current wall-clock time in ms.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn session() -> Option<Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn local() -> Option<Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// A random value from the platform's secure generator, falling back to `Math.random`.
pub fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => (js_sys::Math::random() * 9.0e15) as u64,
    }
}

/// This tab's token and the seat it held before a reload (from `sessionStorage`).
pub fn identity(channel: &str) -> (u32, Option<NodeId>) {
    let stored = session()
        .and_then(|s| s.get_item(&format!("{channel}:tab")).ok().flatten())
        .and_then(|v| {
            let (token, seat) = v.split_once(':')?;
            Some((token.parse::<u32>().ok()?, NodeId::from_name(seat)))
        });
    stored.unwrap_or_else(|| ((random_u64() as u32).max(1), None))
}

/// This tab's 32-byte secret for `channel` (e.g. a signing key's seed), kept in
/// `sessionStorage` so a reload keeps it and another tab never shares it.
pub fn tab_secret(channel: &str) -> [u8; 32] {
    let key = format!("{channel}:secret");
    let stored = session().and_then(|s| s.get_item(&key).ok().flatten());
    let parsed: Option<Vec<u8>> = stored.filter(|h| h.len() == 64).and_then(|h| {
        (0..32)
            .map(|i| u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    });
    let mut bytes = [0u8; 32];
    match parsed {
        Some(p) => bytes.copy_from_slice(&p),
        None => {
            bytes.iter_mut().for_each(|b| *b = random_u64() as u8);
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            if let Some(s) = session() {
                let _ = s.set_item(&key, &hex);
            }
        }
    }
    bytes
}

/// The state saved for `seat` of `channel`, if any.
pub fn load_saved(channel: &str, seat: NodeId) -> Option<String> {
    local()?.get_item(&seat_key(channel, seat)).ok()?
}

/// The state saved last in `channel` (by any seat), with its seat.
pub fn last_saved(channel: &str) -> Option<(NodeId, String)> {
    let storage = local()?;
    let seat = storage.get_item(&format!("{channel}:last")).ok()??;
    let seat = NodeId::from_name(&seat)?;
    Some((seat, load_saved(channel, seat)?))
}

fn remember(channel: &str, token: u32, seat: Option<NodeId>) {
    if let Some(s) = session() {
        let seat = seat.map(|s| s.to_string()).unwrap_or_default();
        let _ = s.set_item(&format!("{channel}:tab"), &format!("{token}:{seat}"));
    }
}

fn seat_key(channel: &str, seat: NodeId) -> String {
    format!("{channel}:seat:{seat}")
}

/// What the page is told after the runtime did something.
pub type OnChange = Rc<dyn Fn()>;

struct Inner<C: WireCodec> {
    runtime: Rc<RefCell<TabRuntime<C>>>,
    channel: BroadcastChannel,
    name: String,
    wake: Option<Timeout>,
    wake_at: f64,
    last_save: f64,
    save_error: Option<String>,
    on_change: OnChange,
}

/// A running connection; dropping it says bye, saves, closes the channel and cancels the
/// timeout.
pub struct Connection<C: WireCodec + 'static> {
    inner: Rc<RefCell<Inner<C>>>,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _pagehide: Option<gloo_events::EventListener>,
}

fn post(channel: &BroadcastChannel, posts: Vec<Post>) {
    for p in posts {
        let channel = channel.clone();
        let send = move || drop(channel.post_message(&JsValue::from_str(&p.json)));
        match p.delay_ms {
            0 => send(),
            ms => drop(Timeout::new(ms, send).forget()),
        }
    }
}

fn save<C: WireCodec>(inner: &mut Inner<C>, rt: &mut TabRuntime<C>, now: f64) {
    inner.last_save = now;
    let token = rt.seats().token();
    let seat = rt.seats().seat();
    remember(&inner.name, token, seat);
    if let (Some(seat), Some(json), Some(storage)) = (seat, rt.saved(), local()) {
        let key = seat_key(&inner.name, seat);
        let mut stored = storage.set_item(&key, &json).is_ok();
        if !stored {
            // Full: the room's other saves go first (a tab reloads from its own seat's).
            let prefix = format!("{}:seat:", inner.name);
            let keys: Vec<String> = (0..storage.length().unwrap_or(0))
                .filter_map(|i| storage.key(i).ok().flatten())
                .filter(|k| k.starts_with(&prefix) && *k != key)
                .collect();
            for k in keys {
                let _ = storage.remove_item(&k);
            }
            stored = storage.set_item(&key, &json).is_ok();
        }
        inner.save_error = if stored {
            let _ = storage.set_item(&format!("{}:last", inner.name), &seat.to_string());
            None
        } else {
            Some(format!(
                "could not save this tab's state ({} bytes): the storage is full or disabled",
                json.len()
            ))
        };
    }
}

/// One slice of work: incoming messages within the budget, timers, posts, saving; then
/// the timeout is armed for the next deadline.
fn run<C: WireCodec + 'static>(weak: Weak<RefCell<Inner<C>>>) {
    let Some(rc) = weak.upgrade() else { return };
    let on_change = {
        let mut inner = rc.borrow_mut();
        inner.wake = None;
        let runtime = inner.runtime.clone();
        let mut rt = runtime.borrow_mut();
        let start = now_ms();
        while rt.pump(now_ms(), BATCH) > 0 && now_ms() - start < SLICE_MS {}
        let now = now_ms();
        let name = inner.name.clone();
        let was_started = rt.started();
        rt.poll(now, |seat| load_saved(&name, seat));
        post(&inner.channel, rt.take_posts());
        if (rt.is_dirty() && now - inner.last_save >= SAVE_EVERY_MS) || was_started != rt.started()
        {
            save(&mut inner, &mut rt, now);
        }
        let next = rt.next_wakeup(now);
        drop(rt);
        arm(&mut inner, weak.clone(), next, now);
        inner.on_change.clone()
    };
    on_change();
}

fn arm<C: WireCodec + 'static>(
    inner: &mut Inner<C>,
    weak: Weak<RefCell<Inner<C>>>,
    at: f64,
    now: f64,
) {
    if inner.wake.is_some() && inner.wake_at <= at {
        return;
    }
    let delay = (at - now).clamp(0.0, 60_000.0) as u32;
    inner.wake_at = at;
    inner.wake = Some(Timeout::new(delay, move || run(weak)));
}

impl<C: WireCodec + 'static> Connection<C> {
    /// Connects `runtime` to the channel `name`; `on_change` is called after each slice.
    pub fn open(
        name: &str,
        runtime: Rc<RefCell<TabRuntime<C>>>,
        on_change: OnChange,
    ) -> Result<Self, String> {
        let channel = BroadcastChannel::new(name)
            .map_err(|_| "this browser has no BroadcastChannel".to_string())?;
        let inner = Rc::new(RefCell::new(Inner {
            runtime,
            channel: channel.clone(),
            name: name.to_string(),
            wake: None,
            wake_at: f64::INFINITY,
            last_save: 0.0,
            save_error: None,
            on_change,
        }));
        let weak = Rc::downgrade(&inner);
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(rc) = weak.upgrade() else { return };
            let mut inner = rc.borrow_mut();
            {
                let mut rt = inner.runtime.borrow_mut();
                let data = e.data();
                match data.dyn_ref::<js_sys::JsString>() {
                    // Each UTF-16 unit is at least one UTF-8 byte: refuse before copying.
                    Some(s) if s.length() as usize > rt.limit() => {
                        rt.receive_oversized(s.length() as usize)
                    }
                    Some(s) => rt.receive(String::from(s)),
                    None => rt.receive(String::from("<not a string>")),
                }
            }
            let now = now_ms();
            arm(&mut inner, weak.clone(), now, now);
        });
        channel.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        let pagehide = web_sys::window().map(|w| {
            let weak = Rc::downgrade(&inner);
            gloo_events::EventListener::new(&w, "pagehide", move |_| {
                if let Some(rc) = weak.upgrade() {
                    leave(&mut rc.borrow_mut());
                }
            })
        });
        let connection = Connection {
            inner,
            _onmessage: onmessage,
            _pagehide: pagehide,
        };
        connection.kick();
        Ok(connection)
    }

    /// Runs a slice at once (e.g. after a local operation, so its posts go out now).
    pub fn kick(&self) {
        let mut inner = self.inner.borrow_mut();
        let now = now_ms();
        arm(&mut inner, Rc::downgrade(&self.inner), now, now);
    }

    /// Why the last save failed, if it did.
    pub fn save_error(&self) -> Option<String> {
        self.inner.borrow().save_error.clone()
    }
}

fn leave<C: WireCodec>(inner: &mut Inner<C>) {
    let runtime = inner.runtime.clone();
    let mut rt = runtime.borrow_mut();
    save(inner, &mut rt, now_ms());
    if let Some(bye) = rt.bye() {
        let _ = inner.channel.post_message(&JsValue::from_str(&bye));
    }
}

impl<C: WireCodec + 'static> Drop for Connection<C> {
    fn drop(&mut self) {
        let mut inner = self.inner.borrow_mut();
        leave(&mut inner);
        inner.wake = None;
        inner.channel.set_onmessage(None);
        inner.channel.close();
    }
}
