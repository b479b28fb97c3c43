//! Stopping a bridge server from outside: SIGINT and SIGTERM set a flag that
//! [`super::serve_on`]'s accept loop polls, so the server ends cleanly and reports a
//! summary. Opt-in: nothing is installed until [`stop_on_signals`] is called.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by SIGINT/SIGTERM once [`stop_on_signals`] installed the handlers.
static STOP: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_stop_signal(_: libc::c_int) {
    // An atomic store is async-signal-safe.
    STOP.store(true, Ordering::SeqCst);
}

/// Make SIGINT and SIGTERM set the returned flag (pass it to [`super::serve_on`]). The
/// handler is reset after the first signal, so a second Ctrl-C ends the process at once.
/// Elsewhere than on Unix, the flag is never set.
pub fn stop_on_signals() -> Result<&'static AtomicBool, String> {
    #[cfg(unix)]
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is a valid starting value; the handler only stores to
        // an atomic; sigemptyset and sigaction get valid pointers to that local struct.
        let rc = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_stop_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESETHAND;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(format!(
                "cannot install a handler for signal {sig}: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(&STOP)
}
