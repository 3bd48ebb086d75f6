package fr.cartable.app.state

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.Download
import fr.cartable.mobile.InformationPage

/** "Informations": the structure's messages (unread first) and its contact. */
class InformationModel(private val app: AppModel) {
    var page by mutableStateOf<InformationPage?>(null)
        private set

    /** The message opened, by id. */
    var opened by mutableStateOf<String?>(null)
        private set

    suspend fun load() {
        page = runCatching { app.cartable.information() }.getOrNull()?.let { p ->
            p.copy(messages = p.messages.sortedBy { it.read })
        }
    }

    /** Opens (or closes) a message and marks it read. */
    suspend fun open(id: String) {
        opened = if (opened == id) null else id
        if (page?.messages?.any { it.id == id && !it.read } == true) {
            try {
                app.cartable.markInformationRead(id)
            } catch (e: CartableException) {
                app.report(e)
            }
        }
        val keepOrder = page?.messages?.map { it.id }.orEmpty()
        val fresh = runCatching { app.cartable.information() }.getOrNull()
        // Keep the order while the parent reads; unread ones come first again next time.
        page = fresh?.copy(messages = fresh.messages.sortedBy { m -> keepOrder.indexOf(m.id).let { if (it < 0) Int.MAX_VALUE else it } })
    }
}

/** "Téléchargements": the structure's files, kept on the phone once fetched. */
class DownloadsModel(private val app: AppModel) {
    var downloads by mutableStateOf<List<Download>>(emptyList())
        private set

    suspend fun load() {
        downloads = runCatching { app.cartable.downloads() }.getOrDefault(emptyList())
    }

    /** Fetches the file once (network), then opens the copy kept on the phone. */
    suspend fun open(id: String) {
        try {
            val file = app.cartable.fetchDownload(id)
            if (!app.platform.open(file)) app.announcements += "Fichier enregistré sur ce téléphone : ${file.name}"
        } catch (e: CartableException.Network) {
            app.offline("Ce fichier n'est pas encore sur ce téléphone : il faut du réseau pour le télécharger une première fois.")
        } catch (e: CartableException) {
            app.report(e)
        }
        load()
    }
}
