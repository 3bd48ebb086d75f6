package fr.cartable.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import fr.cartable.app.format.French
import fr.cartable.app.state.AbsenceModel
import fr.cartable.app.state.AbsenceWaitingForDocument
import fr.cartable.app.state.PeriodModel
import fr.cartable.app.state.PeriodOutcome
import fr.cartable.mobile.Activity
import fr.cartable.mobile.Child

private val WEEKDAYS = listOf("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
private val WEEKDAY_NAMES = listOf("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

/** What "Réserver une période" shows. */
data class PeriodState(
    val children: List<Child>,
    val chosenChildren: Set<String>,
    val from: String,
    val to: String,
    val activities: List<Activity>,
    val days: Map<String, Set<UInt>>,
    val cancelling: Boolean,
    val error: String?,
    val outcome: PeriodOutcome?,
)

fun PeriodModel.state() = PeriodState(children, chosenChildren, from, to, activities, days, cancelling, error, outcome)

class PeriodActions(
    val onChild: (String) -> Unit = {},
    val onFrom: (String) -> Unit = {},
    val onTo: (String) -> Unit = {},
    val onDay: (String, UInt) -> Unit = { _, _ -> },
    val onCancelling: (Boolean) -> Unit = {},
    val onSubmit: () -> Unit = {},
)

@Composable
fun PeriodScreen(state: PeriodState, actions: PeriodActions) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(12.dp),
        verticalArrangement = Arrangement.spacedBy(10.dp),
    ) {
        state.outcome?.let { o ->
            Panel {
                DoneText(o.summary)
                o.skipped.forEach { Text(it, fontSize = 14.sp, color = Palette.muted) }
            }
        }
        Panel {
            Hint("Les mêmes jours chaque semaine, pour un ou plusieurs enfants. Les jours fermés ou hors délai sont signalés et ne sont pas réservés.")
            Toggles {
                Toggle("Réserver", !state.cancelling, { actions.onCancelling(false) })
                Toggle("Annuler", state.cancelling, { actions.onCancelling(true) })
            }
        }
        Panel {
            Text("Enfants", fontSize = 16.sp, fontWeight = FontWeight.SemiBold)
            Toggles {
                state.children.forEach { c -> Toggle(c.firstName, c.id in state.chosenChildren, { actions.onChild(c.id) }) }
            }
        }
        Panel {
            Text("Période", fontSize = 16.sp, fontWeight = FontWeight.SemiBold)
            Field("Du", state.from, actions.onFrom, "JJ/MM/AAAA")
            Field("Au", state.to, actions.onTo, "JJ/MM/AAAA")
        }
        state.activities.forEach { a ->
            Panel {
                Text(a.name, fontSize = 16.sp, fontWeight = FontWeight.SemiBold)
                Toggles {
                    a.weekdays.sorted().forEach { d ->
                        val i = d.toInt() - 1
                        Toggle(
                            WEEKDAYS.getOrElse(i) { "?" },
                            d in state.days[a.id].orEmpty(),
                            { actions.onDay(a.id, d) },
                            description = "${a.name}, le ${WEEKDAY_NAMES.getOrElse(i) { "" }}",
                        )
                    }
                }
            }
        }
        ErrorText(state.error)
        MainButton(if (state.cancelling) "Annuler sur la période" else "Réserver sur la période", actions.onSubmit)
    }
}

/** What "Absences" shows. */
data class AbsenceState(
    val children: List<Child>,
    val childId: String?,
    val from: String,
    val to: String,
    val reason: String,
    val error: String?,
    val outcome: String?,
    val document: String? = null,
    val waiting: List<AbsenceWaitingForDocument> = emptyList(),
)

fun AbsenceModel.state() = AbsenceState(children, childId, from, to, reason, error, outcome, document?.name, waiting.toList())

class AbsenceActions(
    val onChild: (String) -> Unit = {},
    val onFrom: (String) -> Unit = {},
    val onTo: (String) -> Unit = {},
    val onReason: (String) -> Unit = {},
    val onSubmit: () -> Unit = {},
    val onPickDocument: () -> Unit = {},
    val onRemoveDocument: () -> Unit = {},
)

@Composable
fun AbsenceScreen(state: AbsenceState, actions: AbsenceActions) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(12.dp),
        verticalArrangement = Arrangement.spacedBy(10.dp),
    ) {
        Panel {
            Hint("Signalez une absence sur des jours déjà réservés. La structure dit si ces jours restent facturés (un certificat médical joint ci-dessous, envoyé à temps, les rend gratuits).")
        }
        Panel {
            Text("Enfant", fontSize = 16.sp, fontWeight = FontWeight.SemiBold)
            Toggles {
                state.children.forEach { c -> Toggle(c.firstName, c.id == state.childId, { actions.onChild(c.id) }) }
            }
            Field("Du", state.from, actions.onFrom, "JJ/MM/AAAA")
            Field("Au (facultatif pour un seul jour)", state.to, actions.onTo, "JJ/MM/AAAA")
            Field("Motif", state.reason, actions.onReason, "malade, rendez-vous médical…")
        }
        Panel {
            Text("Justificatif (facultatif)", fontSize = 16.sp, fontWeight = FontWeight.SemiBold)
            if (state.document == null) {
                Hint("Un certificat médical en PDF, JPEG ou PNG. Sans réseau, il attend sur le téléphone et part avec la prochaine synchronisation.")
                SecondButton("Joindre un justificatif", actions.onPickDocument)
            } else {
                Text("Certificat médical : ${state.document}", fontSize = 15.sp)
                SecondButton("Retirer le justificatif", actions.onRemoveDocument)
            }
        }
        ErrorText(state.error)
        DoneText(state.outcome)
        MainButton("Signaler l'absence", actions.onSubmit)
        state.waiting.forEach { w ->
            Hint(
                "Absence de ${state.children.firstOrNull { it.id == w.childId }?.firstName ?: "votre enfant"} " +
                    "${French.span(w.from, w.to)} : « ${w.fileName} » attend le réseau pour être envoyé et joint.",
            )
        }
    }
}
