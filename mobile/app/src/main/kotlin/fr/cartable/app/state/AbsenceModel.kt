package fr.cartable.app.state

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.Child
import fr.cartable.mobile.reason
import java.io.File
import java.time.LocalDate

/**
 * An absence whose supporting document is still queued on the phone. The library keeps the
 * link in its store beside the queued file (it survives a restart) and joins them as soon as
 * the document is sent.
 */
data class AbsenceWaitingForDocument(
    val childId: String,
    val from: LocalDate,
    val to: LocalDate,
    val reason: String,
    val documentLocalId: String,
    val fileName: String,
)

/** "Absences": a child absent over booked days, with a reason and, if any, a medical note. */
class AbsenceModel(private val app: AppModel) {
    var children by mutableStateOf<List<Child>>(emptyList())
        private set
    var childId by mutableStateOf<String?>(null)
    var from by mutableStateOf("")
    var to by mutableStateOf("")
    var reason by mutableStateOf("")

    /** The supporting document picked ("Joindre un justificatif"), sent as a medical note. */
    var document by mutableStateOf<File?>(null)
    var error by mutableStateOf<String?>(null)
        private set
    var outcome by mutableStateOf<String?>(null)
        private set

    /** Absences declared with a document not sent yet, as the store keeps them: joined when it is. */
    val waiting = mutableStateListOf<AbsenceWaitingForDocument>()

    suspend fun load() {
        children = runCatching { app.cartable.dossier().children.sortedBy { it.firstName } }.getOrDefault(emptyList())
        if (childId == null) childId = children.firstOrNull()?.id
        loadWaiting()
    }

    private suspend fun loadWaiting() {
        val documents = runCatching { app.cartable.documents() }.getOrNull() ?: return
        val now = documents.mapNotNull { d ->
            val absence = d.absence ?: return@mapNotNull null
            val localId = d.localId ?: return@mapNotNull null
            AbsenceWaitingForDocument(
                absence.childId,
                LocalDate.parse(absence.from),
                LocalDate.parse(absence.to),
                absence.reason,
                localId,
                d.fileName,
            )
        }
        if (now != waiting.toList()) {
            waiting.clear()
            waiting += now
        }
    }

    /** "Joindre un justificatif": a file from the phone (PDF, JPEG or PNG). */
    suspend fun pickDocument() {
        app.platform.pickFile()?.let { document = it }
    }

    fun removeDocument() {
        document = null
    }

    suspend fun submit() {
        error = null
        outcome = null
        val child = childId
        val start = DateInput.parse(from)
        val end = DateInput.parse(to.ifBlank { from })
        error = when {
            child == null -> "Choisissez un enfant."
            start == null || end == null -> "Saisissez les dates au format JJ/MM/AAAA."
            end.isBefore(start) -> "La date de fin est avant la date de début."
            reason.isBlank() -> "Indiquez le motif de l'absence (par exemple : malade)."
            else -> null
        }
        if (error != null) return
        try {
            // The document is checked and queued first: a file refused (not a PDF, too big)
            // stops here, before anything is declared.
            val file = document
            val localId = file?.let { app.cartable.queueDocumentFile(it, MEDICAL_NOTE, child, null) }
            val serverId = localId?.let { sentDocument(it) }
            val report = if (localId != null && serverId == null) {
                // Not sent (offline): declared now, joined by the send that delivers it.
                app.cartable.declareAbsenceWithQueuedDocument(child!!, start!!, end!!, reason.trim(), localId)
            } else {
                app.cartable.declareAbsence(child!!, start!!, end!!, reason.trim(), serverId)
            }
            val n = report.written.toLong() + report.unchanged.toLong()
            outcome = when (n) {
                0L -> "Aucune réservation sur ces jours : rien à signaler."
                1L -> "1 réservation signalée absente. La structure dit à la prochaine synchronisation si elle est facturée."
                else -> "$n réservations signalées absentes. La structure dit à la prochaine synchronisation si elles sont facturées."
            } + when {
                file == null -> ""
                serverId != null -> " Justificatif « ${file.name} » envoyé et joint à l'absence."
                else -> " Justificatif « ${file.name} » gardé sur le téléphone : il part à la prochaine " +
                    "synchronisation et sera joint à l'absence."
            }
            reason = ""
            document = null
        } catch (e: CartableException) {
            error = e.reason.replaceFirstChar { it.uppercase() }
        }
        loadWaiting()
        app.refreshStatus()
        app.planning.load()
    }

    /** Sends what is queued when the network allows; the document's server id once it went. */
    private suspend fun sentDocument(localId: String): String? {
        runCatching { app.cartable.sendDocuments() }
        return runCatching { app.cartable.documents() }.getOrDefault(emptyList())
            .firstOrNull { it.localId == localId }?.serverId
    }

    companion object {
        /** The kind of document that justifies an absence. */
        const val MEDICAL_NOTE = "medical_note"
    }
}
