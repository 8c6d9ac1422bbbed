//! # Chronoscope web
//!
//! The browser playground: a Yew (client-side rendered) app with one *lab* per concept,
//! listed in one registry ([`labs::LABS`]) and routed by URL (`#/lab/<slug>?…`). Labs are
//! thin views over the `chronoscope` core; shared [`components`] draw the space-time
//! diagram, the playback controls and the event inspector.
#![deny(missing_docs)]

pub mod browser_regex;
pub mod components;
pub mod labs;
pub mod pages;
pub mod query;
pub mod tabs;

use wasm_bindgen::JsCast;
use yew::prelude::*;
use yew_router::prelude::*;

/// Every page of the app.
#[derive(Clone, Debug, PartialEq, Routable)]
pub enum Route {
    /// The list of labs.
    #[at("/")]
    Home,
    /// One lab, by slug.
    #[at("/lab/:slug")]
    Lab {
        /// The lab's slug in [`labs::LABS`].
        slug: String,
    },
    /// Anything else.
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <pages::Home /> },
        Route::Lab { slug } => match labs::find(&slug) {
            Some(lab) => (lab.view)(),
            None => html! { <pages::NotFound what={slug} /> },
        },
        Route::NotFound => html! { <pages::NotFound /> },
    }
}

/// The whole app: header, router, footer.
#[function_component(App)]
pub fn app() -> Html {
    let menu = use_node_ref();
    let close_menu = {
        let menu = menu.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(details) = menu.cast::<web_sys::Element>() {
                let _ = details.remove_attribute("open");
            }
        })
    };
    // Escape closes the open menu and puts focus back on its toggle (as a disclosure should),
    // so a keyboard user is not left inside a list they wanted to leave.
    let menu_keydown = {
        let menu = menu.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() != "Escape" {
                return;
            }
            let Some(details) = menu.cast::<web_sys::Element>() else {
                return;
            };
            if !details.has_attribute("open") {
                return;
            }
            e.prevent_default();
            let _ = details.remove_attribute("open");
            if let Some(summary) = details
                .query_selector("summary")
                .ok()
                .flatten()
                .and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = summary.focus();
            }
        })
    };
    html! {
        <HashRouter>
            <header class="top">
                <h1><Link<Route> to={Route::Home}>{"Chronoscope"}</Link<Route>></h1>
                // One tab stop, not one per lab, until opened (keyboard users reach a lab's
                // controls sooner); choosing a lab closes it.
                <details class="lab-menu" ref={menu.clone()} onkeydown={menu_keydown}>
                    <summary>{"Labs"}</summary>
                    <nav aria-label="Labs" onclick={close_menu}>
                        { for labs::LABS.iter().map(|lab| html! {
                            <Link<Route> to={Route::Lab { slug: lab.slug.to_string() }}>{ lab.title }</Link<Route>>
                        }) }
                    </nav>
                </details>
            </header>
            <main>
                <Switch<Route> render={switch} />
            </main>
        </HashRouter>
    }
}

/// Shows any internal error (a Rust panic) in the page instead of leaving it blank or
/// frozen, and logs it to the console: see [`show_internal_error`].
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        show_internal_error(&format!("Chronoscope hit an internal error: {info}"))
    }));
}

/// Logs `message` to the console and shows it at the top of the page in an alert (`#panic`,
/// created on first use and overwritten after), with what to do next. Never panics: without
/// a document it only logs.
pub fn show_internal_error(message: &str) {
    web_sys::console::error_1(&message.into());
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let panel = doc.get_element_by_id("panic").or_else(|| {
        let el = doc.create_element("div").ok()?;
        el.set_id("panic");
        doc.body()?.prepend_with_node_1(&el).ok()?;
        Some(el)
    });
    if let Some(panel) = panel {
        panel.set_attribute("role", "alert").ok();
        panel.set_text_content(Some(&format!(
            "{message}\nReload the page to continue; please report this with the URL."
        )));
    }
}

/// Starts the app in the page's body.
pub fn start() {
    install_panic_hook();
    yew::Renderer::<App>::new().render();
}
