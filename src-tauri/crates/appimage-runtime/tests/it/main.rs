//! Integration tests of the AppImage runtime: small AppImages packed by `scripts/pack-appimage.sh`
//! around a shell AppRun that reports what it was given, run through the FUSE mount and the
//! extracted copy, extracted, and refused when they are not AppImages.

mod fixture;
mod launch;
mod refusals;
