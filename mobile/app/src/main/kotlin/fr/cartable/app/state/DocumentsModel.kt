package fr.cartable.app.state

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.Child
import fr.cartable.mobile.DocumentKindOption
import fr.cartable.mobile.SupportingDocument
import fr.cartable.mobile.reason
import java.io.File

/** "Mes documents": files sent to the structure, queued on the phone until the network allows. */
class DocumentsModel(private val app: AppModel) {
    var documents by mutableStateOf<List<SupportingDocument>>(emptyList())
        private set
    var kinds by mutableStateOf<List<DocumentKindOption>>(emptyList())
        private set
    var children by mutableStateOf<List<Child>>(emptyList())
        private set

    /** The kind chosen in the form (a code of [kinds]). */
    var kind by mutableStateOf<String?>(null)
    var childId by mutableStateOf<String?>(null)
    var validUntil by mutableStateOf("")
    var file by mutableStateOf<File?>(null)
    var error by mutableStateOf<String?>(null)
        private set

    suspend fun load() {
        documents = runCatching { app.cartable.documents() }.getOrDefault(emptyList())
        if (kinds.isEmpty()) kinds = runCatching { fr.cartable.mobile.documentKindOptions() }.getOrDefault(emptyList())
        children = runCatching { app.cartable.dossier().children.sortedBy { it.firstName } }.getOrDefault(emptyList())
        if (kind == null) kind = kinds.firstOrNull()?.code
    }

    /** "Choisir un fichier". */
    suspend fun pick() {
        app.platform.pickFile()?.let { file = it }
    }

    /** "Envoyer": queued on the phone at once, sent now when online, else at the next sync. */
    suspend fun queue() {
        error = null
        val chosen = file
        val k = kind
        val until = validUntil.takeIf { it.isNotBlank() }?.let { DateInput.parse(it) }
        error = when {
            chosen == null -> "Choisissez un fichier (PDF, JPEG ou PNG)."
            k == null -> "Choisissez le type de document."
            validUntil.isNotBlank() && until == null -> "Saisissez la date de validité au format JJ/MM/AAAA."
            else -> null
        }
        if (error != null) return
        try {
            app.cartable.queueDocumentFile(chosen!!, k!!, childId, until)
            file = null
            validUntil = ""
            app.refreshStatus()
        } catch (e: CartableException) {
            error = e.reason
        }
        load()
    }

    /** Sends what waits (the sync does it too). */
    suspend fun send() {
        runCatching { app.cartable.sendDocuments() }
        load()
    }

    /** Removes a queued document the structure does not have yet. */
    suspend fun remove(localId: String) {
        try {
            app.cartable.cancelQueuedDocument(localId)
        } catch (e: CartableException) {
            app.report(e)
        }
        load()
    }
}
