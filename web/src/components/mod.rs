//! Components every lab shares: the space-time diagram, its layout, playback controls and
//! the event inspector.

pub mod badge;
pub mod diagram;
pub mod export;
pub mod inspector;
pub mod layout;
pub mod net_controls;
pub mod playback;
pub mod plot;
pub mod tour;

use std::ops::Deref;
use std::rc::Rc;

use chronoscope::trace::Trace;

/// A trace shared between components; equality is identity, so passing it as a prop costs
/// nothing and a new run (a new `Rc`) always re-renders.
#[derive(Clone, Debug)]
pub struct SharedTrace(pub Rc<Trace>);

impl PartialEq for SharedTrace {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for SharedTrace {
    type Target = Trace;
    fn deref(&self) -> &Trace {
        &self.0
    }
}

impl From<Trace> for SharedTrace {
    fn from(trace: Trace) -> Self {
        SharedTrace(Rc::new(trace))
    }
}
