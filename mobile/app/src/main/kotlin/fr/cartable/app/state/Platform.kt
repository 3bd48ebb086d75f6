package fr.cartable.app.state

import java.io.File

/**
 * What differs between the desktop and a phone: picking a file, opening one, where an export
 * goes. The desktop's is in `DesktopPlatform.kt`; an Android app gives the system's document
 * picker, an `ACTION_VIEW` intent and its cache folder.
 */
interface Platform {
    /** Lets the parent choose a file (PDF, JPEG or PNG); null when they cancel. */
    suspend fun pickFile(): File?

    /** Opens [file] with the system's viewer; false when none is available. */
    fun open(file: File): Boolean

    /** Where "Exporter mes données" saves its archive. */
    fun exportFile(): File
}
