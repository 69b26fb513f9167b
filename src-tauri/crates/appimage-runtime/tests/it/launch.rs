//! Running an AppImage: through a squashfuse mount (unmounted after), through the extracted copy
//! in the cache (made once), and with `--appimage-extract`.

use crate::fixture::{TestImage, names, text};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

/// AppRun reports its arguments and the AppImage's variables, and exits with 7.
const REPORT: &str = r#"echo "args=$*"
echo "APPIMAGE=$APPIMAGE"
echo "APPDIR=$APPDIR"
echo "ARGV0=$ARGV0"
echo "OWD=$OWD"
echo "files=$(ls -A "$APPDIR" | tr '\n' ' ')"
cat "$APPDIR/usr/share/test/data.txt"
exit 7"#;

fn line<'a>(output: &'a str, key: &str) -> &'a str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("AppRun printed no {key}: {output}"))
}

fn mounted() -> String {
    fs::read_to_string("/proc/mounts").expect("/proc/mounts")
}

#[test]
fn a_mounted_appimage_runs_its_apprun_with_the_arguments_and_is_unmounted_after() {
    let image = TestImage::new(REPORT);
    let output = image.run(|command| {
        command.args(["--version", "two words"]);
    });
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(7), "{stdout}{}", text(&output.stderr));
    assert_eq!(line(&stdout, "args"), "--version two words");
    assert_eq!(line(&stdout, "APPIMAGE"), image.path.to_str().expect("utf-8"));
    assert_eq!(line(&stdout, "ARGV0"), image.path.to_str().expect("utf-8"));
    assert_eq!(line(&stdout, "OWD"), image.work().to_str().expect("utf-8"));
    assert!(stdout.contains("the data"), "{stdout}");
    let appdir = line(&stdout, "APPDIR");
    assert!(
        appdir.starts_with(image.tmp().join(".mount_").to_str().expect("utf-8")),
        "not run from a mount in TMPDIR: {appdir}; stderr: {}",
        text(&output.stderr)
    );
    assert!(output.stderr.is_empty(), "{}", text(&output.stderr));
    assert!(!mounted().contains(appdir), "still mounted: {appdir}");
    assert_eq!(names(&image.tmp()), Vec::<String>::new(), "the mount point is left");
    assert_eq!(names(&image.cache()), Vec::<String>::new(), "extracted although mounted");
}

#[test]
fn a_stop_sent_to_a_mounted_appimage_reaches_its_app_and_the_mount_goes() {
    let image = TestImage::new(
        r#"trap 'echo "stopped in $APPDIR"; exit 0' TERM
echo ready
i=0
while [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
echo "never stopped""#,
    );
    let mut child = image.command().stdout(Stdio::piped()).spawn().expect("run the AppImage");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut ready = String::new();
    stdout.read_line(&mut ready).expect("AppRun's first line");
    assert_eq!(ready, "ready\n");
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    kill(pid, Signal::SIGTERM).expect("SIGTERM to the runtime");
    let mut rest = String::new();
    for line in stdout.lines() {
        rest.push_str(&line.expect("line"));
    }
    assert_eq!(child.wait().expect("wait").code(), Some(0), "{rest}");
    let appdir = rest.strip_prefix("stopped in ").expect("AppRun saw the stop");
    assert!(!mounted().contains(appdir), "still mounted: {appdir}");
    assert_eq!(names(&image.tmp()), Vec::<String>::new(), "the mount point is left");
}

#[test]
fn extract_and_run_extracts_into_the_cache_once_and_passes_the_arguments() {
    let image = TestImage::new(REPORT);
    let first = image.run(|command| {
        command.env("APPIMAGE_EXTRACT_AND_RUN", "1").arg("--one");
    });
    let stdout = text(&first.stdout);
    assert_eq!(first.status.code(), Some(7), "{stdout}{}", text(&first.stderr));
    assert_eq!(line(&stdout, "args"), "--one");
    assert_eq!(line(&stdout, "APPIMAGE"), image.path.to_str().expect("utf-8"));
    assert!(stdout.contains("the data"), "{stdout}");
    let appdir = line(&stdout, "APPDIR").to_owned();
    let cached = image.cache().join("appimage-runtime");
    assert!(appdir.starts_with(cached.to_str().expect("utf-8")), "{appdir}");
    assert_eq!(names(&cached).len(), 1, "one copy, no partial left: {:?}", names(&cached));

    // A later launch runs the same copy rather than extracting again.
    fs::write(format!("{appdir}/kept"), "").expect("mark the copy");
    let second = image.run(|command| {
        command.arg("--appimage-extract-and-run").arg("--two");
    });
    let stdout = text(&second.stdout);
    assert_eq!(second.status.code(), Some(7), "{stdout}{}", text(&second.stderr));
    assert_eq!(line(&stdout, "args"), "--two");
    assert_eq!(line(&stdout, "APPDIR"), appdir);
    assert!(line(&stdout, "files").contains("kept"), "{stdout}");
}

#[test]
fn appimage_extract_writes_the_appdir_into_squashfs_root() {
    let image = TestImage::new(REPORT);
    let output = image.run(|command| {
        command.arg("--appimage-extract");
    });
    assert!(output.status.success(), "{}", text(&output.stderr));
    let root = image.work().join("squashfs-root");
    assert_eq!(names(&root), [".DirIcon", "AppRun", "test.desktop", "test.png", "usr"]);
    assert_eq!(fs::read_link(root.join("AppRun")).expect("AppRun is a link"), std::path::Path::new("usr/bin/test-app"));
    let mode = fs::metadata(root.join("usr/bin/test-app")).expect("app").permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
    assert_eq!(fs::read_to_string(root.join("usr/share/test/data.txt")).expect("data"), "the data\n");
    assert!(fs::read_to_string(root.join("test.desktop")).expect("entry").contains("Name=Test"));

    // Extracting again refuses, and leaves what is there.
    fs::write(root.join("mine"), "keep me").expect("a file of the user's");
    let again = image.run(|command| {
        command.arg("--appimage-extract");
    });
    assert_eq!(again.status.code(), Some(1));
    let stderr = text(&again.stderr);
    assert!(stderr.contains("cannot extract into ./squashfs-root"), "{stderr}");
    assert!(stderr.contains("nothing was extracted"), "{stderr}");
    assert_eq!(fs::read_to_string(root.join("mine")).expect("kept"), "keep me");
}
