package fr.cartable.app.state

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import fr.cartable.app.format.French
import fr.cartable.mobile.Activity
import fr.cartable.mobile.ActivityDays
import fr.cartable.mobile.BulkBooking
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.Child
import fr.cartable.mobile.reason
import java.time.LocalDate

/** One line of the outcome of a booking over a period, in French. */
data class PeriodOutcome(val summary: String, val skipped: List<String>)

/** "Réserver une période": a weekly pattern for several children between two dates. */
class PeriodModel(private val app: AppModel) {
    var children by mutableStateOf<List<Child>>(emptyList())
        private set
    var activities by mutableStateOf<List<Activity>>(emptyList())
        private set
    var chosenChildren by mutableStateOf<Set<String>>(emptySet())
    var from by mutableStateOf("")
    var to by mutableStateOf("")

    /** ISO weekdays chosen per activity id. */
    var days by mutableStateOf<Map<String, Set<UInt>>>(emptyMap())
    var cancelling by mutableStateOf(false)
    var error by mutableStateOf<String?>(null)
        private set
    var outcome by mutableStateOf<PeriodOutcome?>(null)
        private set

    suspend fun load() {
        children = runCatching { app.cartable.dossier().children.sortedBy { it.firstName } }.getOrDefault(emptyList())
        activities = runCatching { app.cartable.catalogue().activities }.getOrDefault(emptyList())
            .filter { it.weekdays.isNotEmpty() }
        if (chosenChildren.isEmpty()) chosenChildren = children.map { it.id }.toSet()
    }

    fun toggleChild(id: String) {
        chosenChildren = if (id in chosenChildren) chosenChildren - id else chosenChildren + id
    }

    fun toggleDay(activityId: String, day: UInt) {
        val current = days[activityId].orEmpty()
        days = days + (activityId to if (day in current) current - day else current + day)
    }

    suspend fun submit() {
        error = null
        outcome = null
        val start = DateInput.parse(from)
        val end = DateInput.parse(to)
        val pattern = days.filterValues { it.isNotEmpty() }.map { (id, d) -> ActivityDays(id, d.sorted()) }
        error = when {
            chosenChildren.isEmpty() -> "Choisissez au moins un enfant."
            start == null || end == null -> "Saisissez les dates au format JJ/MM/AAAA."
            end.isBefore(start) -> "La date de fin est avant la date de début."
            pattern.isEmpty() -> "Choisissez au moins un jour d'une activité."
            else -> null
        }
        if (error != null) return
        val booking = BulkBooking(chosenChildren.toList(), start.toString(), end.toString(), pattern)
        try {
            val report = if (cancelling) app.cartable.cancelPattern(booking) else app.cartable.bookPattern(booking)
            val names = children.associate { it.id to it.firstName }
            val activityNames = activities.associate { it.id to it.name }
            val verb = if (cancelling) "annulation" else "réservation"
            val summary = buildString {
                append(if (report.written == 1uL) "1 $verb demandée" else "${report.written} ${verb}s demandées")
                if (report.unchanged > 0uL) append(", ${report.unchanged} déjà faite${if (report.unchanged > 1uL) "s" else ""}")
                if (report.skipped.isNotEmpty()) append(", ${report.skipped.size} jour${if (report.skipped.size > 1) "s" else ""} non réservable${if (report.skipped.size > 1) "s" else ""}")
                append(". La structure décide à la prochaine synchronisation.")
            }
            val skipped = report.skipped.map {
                "${names[it.childId] ?: "Enfant"}, ${activityNames[it.activityId] ?: "activité"}, " +
                    "${French.isoDay(it.date)} : ${it.reason}"
            }
            outcome = PeriodOutcome(summary, skipped)
        } catch (e: CartableException) {
            error = e.reason
        }
        app.refreshStatus()
        app.planning.load()
    }

    /** Fills the dates with [start] .. [end] (the app offers the next weeks). */
    fun setPeriod(start: LocalDate, end: LocalDate) {
        from = DateInput.format(start)
        to = DateInput.format(end)
    }
}
