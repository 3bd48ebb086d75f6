//! `cartable-server`: see `cartable_server::cli`.

fn main() -> std::process::ExitCode {
    cartable_server::cli::main()
}
