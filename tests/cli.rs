//! End-to-end tests of the `kit` binary.
mod common;

#[test]
fn help_works() {
    assert_cmd::Command::cargo_bin("kit").unwrap().arg("--help").assert().success();
}
