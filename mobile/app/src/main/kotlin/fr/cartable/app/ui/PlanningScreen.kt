package fr.cartable.app.ui

import androidx.compose.foundation.BorderStroke
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.material.Icon
import androidx.compose.material.IconButton
import androidx.compose.material.MaterialTheme
import androidx.compose.material.Surface
import androidx.compose.material.Tab
import androidx.compose.material.TabRow
import androidx.compose.material.Text
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.KeyboardArrowLeft
import androidx.compose.material.icons.automirrored.filled.KeyboardArrowRight
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.onClick
import androidx.compose.ui.semantics.role
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import fr.cartable.app.format.French
import fr.cartable.app.state.PlanningModel
import fr.cartable.app.state.Refusal
import fr.cartable.mobile.CellState
import fr.cartable.mobile.Child
import fr.cartable.mobile.PlanningCell
import fr.cartable.mobile.PlanningRow
import fr.cartable.mobile.PlanningView
import java.time.LocalDate

/** What "Mon planning" shows; built from [PlanningModel] or by hand in a test. */
data class PlanningState(
    val children: List<Child>,
    val childId: String?,
    val weekStart: LocalDate?,
    val view: PlanningView?,
    val prices: Map<String, String> = emptyMap(),
    val notOffered: Set<String> = emptySet(),
    val refusal: Refusal? = null,
    val billedCancel: PlanningCell? = null,
)

fun PlanningModel.state() = PlanningState(children, childId, weekStart, view, prices, notOffered, refusal, billedCancel)

/** What a parent can do on "Mon planning". */
class PlanningActions(
    val onChild: (String) -> Unit = {},
    val onPreviousWeek: () -> Unit = {},
    val onNextWeek: () -> Unit = {},
    val onTap: (PlanningCell) -> Unit = {},
    val onInsist: () -> Unit = {},
    val onConfirmCancel: () -> Unit = {},
    val onDismiss: () -> Unit = {},
)

@Composable
fun PlanningScreen(state: PlanningState, actions: PlanningActions) {
    Box(Modifier.fillMaxSize()) {
        Column(Modifier.fillMaxSize()) {
            if (state.children.size > 1) ChildTabs(state, actions)
            state.weekStart?.let { WeekBar(it, actions) }
            val rows = state.view?.rows?.filter { !it.idle }.orEmpty()
            if (state.view == null) {
                Hint(
                    "Le planning n'est pas encore sur ce téléphone : il arrive à la première synchronisation.",
                    Modifier.padding(16.dp),
                )
            } else if (rows.isEmpty()) {
                Hint("Aucune activité cette semaine.", Modifier.padding(16.dp))
            }
            LazyColumn(
                Modifier.fillMaxSize(),
                contentPadding = androidx.compose.foundation.layout.PaddingValues(12.dp),
                verticalArrangement = Arrangement.spacedBy(10.dp),
            ) {
                items(rows, key = { it.date }) { row -> DayRow(row, state.prices, state.notOffered, actions.onTap) }
            }
        }
        state.refusal?.let { r ->
            QuestionSheet(
                title = "Cette réservation sera refusée",
                text = "${r.cell.childName}, ${r.cell.activityName}, ${French.isoDay(r.cell.date)}.\n" +
                    "Motif : ${r.reason}.\n\nVous pouvez quand même en faire la demande : la structure décidera.",
                confirm = "Demander quand même",
                dismiss = "Ne pas réserver",
                onConfirm = actions.onInsist,
                onDismiss = actions.onDismiss,
            )
        }
        state.billedCancel?.let { cell ->
            QuestionSheet(
                title = "Annulation hors délai",
                text = "${cell.childName}, ${cell.activityName}, ${French.isoDay(cell.date)}.\n" +
                    "Le délai d'annulation est passé : la réservation restera facturée.",
                confirm = "Annuler quand même",
                dismiss = "Garder la réservation",
                onConfirm = actions.onConfirmCancel,
                onDismiss = actions.onDismiss,
            )
        }
    }
}

@Composable
private fun ChildTabs(state: PlanningState, actions: PlanningActions) {
    val selected = state.children.indexOfFirst { it.id == state.childId }.coerceAtLeast(0)
    TabRow(selectedTabIndex = selected, backgroundColor = MaterialTheme.colors.surface) {
        state.children.forEachIndexed { i, child ->
            Tab(
                selected = i == selected,
                onClick = { actions.onChild(child.id) },
                modifier = Modifier.heightIn(min = TouchTarget),
                text = { Text(child.firstName, fontSize = 16.sp) },
            )
        }
    }
}

@Composable
private fun WeekBar(monday: LocalDate, actions: PlanningActions) {
    val label = French.week(monday)
    Row(Modifier.fillMaxWidth().padding(horizontal = 4.dp), verticalAlignment = Alignment.CenterVertically) {
        IconButton(onClick = actions.onPreviousWeek, modifier = Modifier.size(TouchTarget)) {
            Icon(Icons.AutoMirrored.Filled.KeyboardArrowLeft, contentDescription = "Semaine précédente")
        }
        Text(
            label,
            modifier = Modifier.weight(1f).semantics { heading() },
            textAlign = TextAlign.Center,
            fontSize = 16.sp,
            fontWeight = FontWeight.Medium,
        )
        IconButton(onClick = actions.onNextWeek, modifier = Modifier.size(TouchTarget)) {
            Icon(Icons.AutoMirrored.Filled.KeyboardArrowRight, contentDescription = "Semaine suivante")
        }
    }
}

@Composable
private fun DayRow(
    row: PlanningRow,
    prices: Map<String, String>,
    notOffered: Set<String>,
    onTap: (PlanningCell) -> Unit,
) {
    val day = LocalDate.parse(row.date)
    // Activities closed that day (holidays, closures) are listed in one line, not as cells;
    // those that never run that day are not shown.
    val (closed, open) = row.cells.filter { PlanningModel.key(it) !in notOffered }
        .partition { it.state is CellState.Closed }
    Surface(shape = RoundedCornerShape(10.dp), elevation = 1.dp, modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(10.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
            Text(
                French.day(day).replaceFirstChar { it.uppercase() },
                fontSize = 16.sp,
                fontWeight = FontWeight.SemiBold,
                modifier = Modifier.semantics { heading() },
            )
            open.forEach { cell -> Cell(cell, prices[PlanningModel.key(cell)], onTap) }
            closed.groupBy { (it.state as CellState.Closed).reason }.forEach { (reason, cells) ->
                Text(
                    "${cells.joinToString(", ") { it.activityName }} — $reason",
                    fontSize = 13.sp,
                    color = Palette.muted,
                )
            }
        }
    }
}

@Composable
private fun Cell(cell: PlanningCell, price: String?, onTap: (PlanningCell) -> Unit) {
    val look = lookOf(cell)
    val showPrice = price != null && (cell.state is CellState.Free || cell.state is CellState.Pending ||
        cell.state is CellState.Accepted)
    val absence = cell.absence
    val absenceText = absence?.let {
        val outcome = it.outcome
        val note = if (it.documentId != null) ", justificatif joint" else ""
        if (outcome == null) "Absence signalée (${it.reason}$note) : la structure dit bientôt si elle est facturée"
        else "${outcome.reason} (motif : ${it.reason}$note)"
    }
    val spoken = buildString {
        append("${cell.childName}, ${French.isoDay(cell.date)}, ${cell.activityName} : ${look.word.removePrefix("✓ ")}")
        look.detail?.let { append(", $it") }
        absenceText?.let { append(", $it") }
        if (showPrice) append(", $price")
    }
    val tap = look.action
    Surface(
        shape = RoundedCornerShape(8.dp),
        color = look.background,
        border = BorderStroke(1.dp, if (cell.state is CellState.Free) Palette.border else look.color.copy(alpha = 0.35f)),
        modifier = Modifier
            .fillMaxWidth()
            .heightIn(min = 56.dp)
            .then(if (tap != null) Modifier.clickable(onClickLabel = tap) { onTap(cell) } else Modifier)
            .clearAndSetSemantics {
                contentDescription = spoken
                if (tap != null) {
                    role = Role.Button
                    onClick(label = tap) { onTap(cell); true }
                }
            },
    ) {
        Row(
            Modifier.padding(horizontal = 12.dp, vertical = 8.dp),
            verticalAlignment = Alignment.CenterVertically,
        ) {
            Column(Modifier.weight(1f), verticalArrangement = Arrangement.spacedBy(2.dp)) {
                Text(cell.activityName, fontSize = 15.sp)
                look.detail?.let { Text(it, fontSize = 13.sp, color = look.color) }
                absenceText?.let { Text(it, fontSize = 13.sp, color = Palette.muted) }
            }
            Column(Modifier.padding(start = 8.dp), horizontalAlignment = Alignment.End) {
                Text(look.word, fontSize = 15.sp, fontWeight = FontWeight.SemiBold, color = look.color)
                if (showPrice) Text(price!!, fontSize = 13.sp, color = Palette.muted)
            }
        }
    }
}
