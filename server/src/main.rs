//! `cartable-server`: see `cartable_server::cli`.

fn main() -> std::process::ExitCode {
    cartable_server::data_dir::private_file_creation();
    cartable_server::cli::main()
}
