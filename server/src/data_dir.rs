//! The data folder holds personal data (the SQLite database, supporting documents, published
//! files): only the server's user may enter it. It is created with mode 0700, and tightened to
//! it when it already existed looser; `cartable-server` also sets its file creation mask to
//! 0077 at start, so the files it writes there are its user's alone.

use std::io;
use std::path::Path;

/// Creates `path` (and missing parents) readable by the server's user only.
pub fn create_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(path)
    }
}

/// Files and folders the process creates from now on are its user's alone (umask 0077).
pub fn private_file_creation() {
    #[cfg(unix)]
    {
        use rustix::fs::Mode;
        rustix::process::umask(Mode::from_bits_truncate(0o077));
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn the_data_folder_is_created_private_and_tightened_when_it_was_not() {
        let root = tempfile::tempdir().expect("temporary folder");
        let fresh = root.path().join("data").join("files");
        create_private(&fresh).expect("created");
        assert_eq!(mode(&fresh), 0o700);

        let loose = root.path().join("loose");
        std::fs::create_dir(&loose).expect("created");
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o755)).expect("loosened");
        create_private(&loose).expect("tightened");
        assert_eq!(mode(&loose), 0o700);
    }
}
