package fr.cartable.app.state

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import fr.cartable.app.format.French
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.CellState
import fr.cartable.mobile.Child
import fr.cartable.mobile.PlanningCell
import fr.cartable.mobile.PlanningView
import java.time.DayOfWeek
import java.time.Instant
import java.time.LocalDate

/** A booking the phone knows the server would refuse: the parent may still ask for it. */
data class Refusal(val cell: PlanningCell, val reason: String)

/** "Mon planning": a week of one child, one day per row, each activity a cell. */
class PlanningModel(private val app: AppModel) {
    var children by mutableStateOf<List<Child>>(emptyList())
        private set
    var childId by mutableStateOf<String?>(null)
        private set
    var weekStart by mutableStateOf<LocalDate?>(null)
        private set
    var view by mutableStateOf<PlanningView?>(null)
        private set

    /** Price labels ("3,05 €") by [key] of a cell, for the activities the structure bills. */
    var prices by mutableStateOf<Map<String, String>>(emptyMap())
        private set

    /**
     * [key]s of the cells of activities that do not run that day at all (another weekday,
     * outside their season): drawn as nothing rather than as closed.
     */
    var notOffered by mutableStateOf<Set<String>>(emptySet())
        private set

    /** Set when a tap would be refused: shown as a dialog offering to ask anyway. */
    var refusal by mutableStateOf<Refusal?>(null)
        private set

    /** Set when a withdrawal would be billed (past its deadline): the parent confirms first. */
    var billedCancel by mutableStateOf<PlanningCell?>(null)
        private set

    /** Reads the children and the week shown from the local store. */
    suspend fun load() {
        try {
            val dossier = app.cartable.dossier()
            children = dossier.children.sortedBy { it.firstName }
        } catch (e: CartableException.NotDownloaded) {
            children = emptyList()
        }
        if (childId == null || children.none { it.id == childId }) childId = children.firstOrNull()?.id
        if (weekStart == null) {
            val today = Instant.ofEpochMilli(app.cartable.client.serverNowMs()).atZone(French.zone).toLocalDate()
            weekStart = monday(today)
        }
        loadWeek()
    }

    private suspend fun loadWeek() {
        val child = childId ?: run { view = null; return }
        val start = weekStart ?: return
        val week = try {
            app.cartable.planningView(start, start.plusDays(6), listOf(child))
        } catch (e: CartableException.NotDownloaded) {
            view = null
            return
        }
        view = week
        val activities = runCatching { app.cartable.catalogue().activities }.getOrDefault(emptyList())
            .associateBy { it.id }
        notOffered = week.rows.flatMap { it.cells }.filter { cell ->
            val activity = activities[cell.activityId] ?: return@filter false
            val day = LocalDate.parse(cell.date)
            day.dayOfWeek.value.toUInt() !in activity.weekdays ||
                (activity.firstDay.isNotEmpty() && day < LocalDate.parse(activity.firstDay)) ||
                (activity.lastDay.isNotEmpty() && day > LocalDate.parse(activity.lastDay))
        }.map { key(it) }.toSet()
        prices = week.rows.flatMap { it.cells }
            .filter { it.state !is CellState.Closed && it.state !is CellState.NotEligible }
            .mapNotNull { cell ->
                runCatching { app.cartable.bookingPrice(cell.childId, LocalDate.parse(cell.date), cell.activityId) }
                    .getOrNull()?.takeIf { it.billed }?.let { key(cell) to it.label }
            }.toMap()
    }

    suspend fun selectChild(id: String) {
        childId = id
        loadWeek()
    }

    /** Shows the week containing [day]. */
    suspend fun showWeek(day: LocalDate) {
        weekStart = monday(day)
        loadWeek()
    }

    suspend fun nextWeek() = weekStart?.let { showWeek(it.plusWeeks(1)) }
    suspend fun previousWeek() = weekStart?.let { showWeek(it.minusWeeks(1)) }

    /** A tap on a cell: books a free cell, withdraws a booked one (confirming a billed one). */
    suspend fun tap(cell: PlanningCell) {
        when {
            cell.canBook -> book(cell)
            cell.canCancel && cell.cancelBilled -> billedCancel = cell
            cell.canCancel -> cancel(cell)
        }
    }

    private suspend fun book(cell: PlanningCell) {
        try {
            app.cartable.book(cell.childId, LocalDate.parse(cell.date), cell.activityId)
        } catch (e: CartableException.WouldBeRefused) {
            refusal = Refusal(cell, e.reason)
        } catch (e: CartableException) {
            app.report(e)
        }
        afterEdit()
    }

    private suspend fun cancel(cell: PlanningCell) {
        try {
            app.cartable.cancel(cell.childId, LocalDate.parse(cell.date), cell.activityId)
        } catch (e: CartableException) {
            app.report(e)
        }
        afterEdit()
    }

    /** "Demander quand même": the request goes to the structure's staff. */
    suspend fun insist() {
        val r = refusal ?: return
        refusal = null
        try {
            app.cartable.bookInsisting(r.cell.childId, LocalDate.parse(r.cell.date), r.cell.activityId)
        } catch (e: CartableException) {
            app.report(e)
        }
        afterEdit()
    }

    suspend fun confirmBilledCancel() {
        val cell = billedCancel ?: return
        billedCancel = null
        cancel(cell)
    }

    fun dismissDialogs() {
        refusal = null
        billedCancel = null
    }

    private suspend fun afterEdit() {
        app.refreshStatus()
        loadWeek()
    }

    companion object {
        fun key(cell: PlanningCell) = "${cell.childId}/${cell.date}/${cell.activityId}"
        fun monday(day: LocalDate): LocalDate = day.with(DayOfWeek.MONDAY)
    }
}
