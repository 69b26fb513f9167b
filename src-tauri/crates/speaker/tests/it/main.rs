//! Integration tests of switchboard-speaker against real ALSA. Each scenario runs in a child process
//! of this binary whose HOME holds an .asoundrc that sends the default PCM to a file (ALSA reads its
//! configuration once per process, so a child is the reliable way); the parent then checks what
//! was written. The `child_*` tests are those scenarios: ignored in a plain run, they do nothing
//! outside a child.

mod capture;
mod child;
mod live;
mod no_device;
mod player;
