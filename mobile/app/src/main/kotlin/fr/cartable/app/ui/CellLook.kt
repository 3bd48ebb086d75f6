package fr.cartable.app.ui

import androidx.compose.ui.graphics.Color
import fr.cartable.app.format.French
import fr.cartable.mobile.CellState
import fr.cartable.mobile.PlanningCell

/** How a planning cell is drawn and read aloud. */
data class CellLook(
    /** The state in one or two words: "libre", "✓ réservé", "refusé"... */
    val word: String,
    /** Why, in full, when the state has a reason ("Complet", "Vacances de Noël"). */
    val detail: String?,
    val color: Color,
    val background: Color,
    /** What a tap does, for screen readers: "réserver", "annuler"; null when a tap does nothing. */
    val action: String?,
)

fun lookOf(cell: PlanningCell): CellLook {
    val action = when {
        cell.canBook -> "réserver"
        cell.canCancel && cell.cancelBilled -> "annuler (sera facturé)"
        cell.canCancel -> "annuler"
        else -> null
    }
    return when (val s = cell.state) {
        is CellState.Free -> CellLook("libre", null, Palette.free, Palette.freeBackground, action)
        is CellState.Pending -> CellLook(
            if (s.wanted) "en attente" else "annulation en attente",
            null, Palette.pending, Palette.pendingBackground, action,
        )
        is CellState.Accepted -> CellLook("✓ réservé", null, Palette.accepted, Palette.acceptedBackground, action)
        is CellState.Refused -> CellLook("refusé", s.reason, Palette.refused, Palette.refusedBackground, action)
        is CellState.Cancelled -> CellLook("annulé", null, Palette.muted, Palette.freeBackground, action)
        is CellState.CancelledByStructure ->
            CellLook("annulé par la structure", s.reason, Palette.muted, Palette.mutedBackground, action)
        is CellState.KeptBillable -> CellLook("facturé", s.reason, Palette.refused, Palette.refusedBackground, action)
        is CellState.Locked -> CellLook(
            "verrouillé",
            lockedDetail(s.reason, s.deadlineMs, s.opensMs),
            Palette.muted, Palette.mutedBackground, action,
        )
        is CellState.Closed -> CellLook("fermé", s.reason, Palette.muted, Palette.mutedBackground, action)
        is CellState.NotEligible -> CellLook("non proposé", s.reason, Palette.muted, Palette.mutedBackground, action)
    }
}

private fun lockedDetail(reason: String, deadlineMs: Long?, opensMs: Long?): String = when {
    opensMs != null -> "Réservations ouvertes à partir du ${French.moment(opensMs)}"
    deadlineMs != null -> "Réservations closes depuis le ${French.moment(deadlineMs)}"
    else -> reason
}
