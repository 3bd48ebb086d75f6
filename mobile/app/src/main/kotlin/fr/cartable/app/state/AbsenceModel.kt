package fr.cartable.app.state

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.Child
import fr.cartable.mobile.reason

/** "Absences": a child absent over booked days, with a reason. */
class AbsenceModel(private val app: AppModel) {
    var children by mutableStateOf<List<Child>>(emptyList())
        private set
    var childId by mutableStateOf<String?>(null)
    var from by mutableStateOf("")
    var to by mutableStateOf("")
    var reason by mutableStateOf("")
    var error by mutableStateOf<String?>(null)
        private set
    var outcome by mutableStateOf<String?>(null)
        private set

    suspend fun load() {
        children = runCatching { app.cartable.dossier().children.sortedBy { it.firstName } }.getOrDefault(emptyList())
        if (childId == null) childId = children.firstOrNull()?.id
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
            val report = app.cartable.declareAbsence(child!!, start!!, end!!, reason.trim())
            val n = report.written.toLong()
            outcome = when (n) {
                0L -> "Aucune réservation sur ces jours : rien à signaler."
                1L -> "1 réservation signalée absente. La structure dit à la prochaine synchronisation si elle est facturée."
                else -> "$n réservations signalées absentes. La structure dit à la prochaine synchronisation si elles sont facturées."
            }
            reason = ""
        } catch (e: CartableException) {
            error = e.reason
        }
        app.refreshStatus()
        app.planning.load()
    }
}
