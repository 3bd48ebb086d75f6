package fr.cartable.app

import fr.cartable.app.state.Platform
import java.awt.Desktop
import java.awt.FileDialog
import java.awt.Frame
import java.io.File
import java.time.LocalDate
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/** The desktop's file dialog and viewer; the export goes to the home folder. */
class DesktopPlatform : Platform {
    override suspend fun pickFile(): File? = withContext(Dispatchers.Main) {
        val dialog = FileDialog(null as Frame?, "Choisir un document (PDF, JPEG ou PNG)", FileDialog.LOAD)
        dialog.isVisible = true
        val name = dialog.file ?: return@withContext null
        File(dialog.directory, name)
    }

    override fun open(file: File): Boolean = runCatching {
        if (!Desktop.isDesktopSupported() || !Desktop.getDesktop().isSupported(Desktop.Action.OPEN)) return false
        Desktop.getDesktop().open(file)
        true
    }.getOrDefault(false)

    override fun exportFile(): File = File(System.getProperty("user.home"), "cartable-mes-donnees-${LocalDate.now()}.zip")
}
