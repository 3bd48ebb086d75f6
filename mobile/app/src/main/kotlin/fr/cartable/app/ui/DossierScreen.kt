package fr.cartable.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.Card
import androidx.compose.material.Icon
import androidx.compose.material.Text
import androidx.compose.material.TextButton
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Edit
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.onClick
import androidx.compose.ui.semantics.role
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import androidx.compose.foundation.background
import fr.cartable.app.format.French
import fr.cartable.app.state.DossierModel
import fr.cartable.app.state.FieldEdit
import fr.cartable.app.state.FieldKind
import fr.cartable.app.state.NewSheet
import fr.cartable.app.state.NewSheetKind
import fr.cartable.mobile.Adult
import fr.cartable.mobile.AdultField
import fr.cartable.mobile.Child
import fr.cartable.mobile.ChildField
import fr.cartable.mobile.DietOption
import fr.cartable.mobile.Dossier
import fr.cartable.mobile.DossierConflict
import fr.cartable.mobile.DossierReview
import fr.cartable.mobile.ReviewStatus

/** What "Mon dossier" shows. */
data class DossierState(
    val dossier: Dossier?,
    val review: DossierReview?,
    val conflicts: List<DossierConflict>,
    val diets: List<DietOption>,
    val editing: FieldEdit?,
    val error: String?,
    val changed: Boolean,
    val adding: NewSheet? = null,
)

fun DossierModel.state() = DossierState(dossier, review, conflicts, diets, editing, error, changed, adding)

class DossierActions(
    val onEdit: (FieldEdit) -> Unit = {},
    val onValue: (String) -> Unit = {},
    val onSave: () -> Unit = {},
    val onCancel: () -> Unit = {},
    val onSubmit: () -> Unit = {},
    val onKeep: (DossierConflict, String) -> Unit = { _, _ -> },
    val onAdd: (NewSheetKind) -> Unit = {},
    val onNew: (NewSheet) -> Unit = {},
    val onSaveNew: () -> Unit = {},
    val onCancelNew: () -> Unit = {},
)

@Composable
fun DossierScreen(state: DossierState, actions: DossierActions) {
    Box(Modifier.fillMaxSize()) {
        Column(
            Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(12.dp),
            verticalArrangement = Arrangement.spacedBy(10.dp),
        ) {
            state.review?.let { r ->
                val by = r.submittedBy?.let { id ->
                    state.dossier?.adults?.firstOrNull { it.accountId == id }?.let { "${it.firstName} ${it.lastName}" }
                }
                ReviewPanel(r, by)
            }
            state.conflicts.forEach { ConflictPanel(it, actions) }
            val dossier = state.dossier
            if (dossier == null) {
                Hint("Le dossier arrive à la première synchronisation.")
            } else {
                dossier.children.sortedBy { it.firstName }.forEach { ChildPanel(it, actions) }
                SecondButton("Ajouter un enfant", { actions.onAdd(NewSheetKind.Child) })
                dossier.adults.forEach { AdultPanel(it, actions) }
                SecondButton("Ajouter un adulte", { actions.onAdd(NewSheetKind.Adult) })
            }
            Hint("Vos modifications sont enregistrées sur ce téléphone. La structure les reçoit quand vous les validez.")
            MainButton("Je valide mes modifications", actions.onSubmit)
        }
        state.editing?.let { EditSheet(it, state.diets, state.error, actions) }
        state.adding?.let { NewSheetForm(it, state.error, actions) }
    }
}

@Composable
private fun ReviewPanel(review: DossierReview, submittedBy: String?) {
    val color = when (review.status) {
        ReviewStatus.APPROVED -> Palette.primaryDark
        ReviewStatus.REJECTED -> Palette.refused
        else -> Palette.pending
    }
    Panel {
        Text("Validation par la structure", fontSize = 14.sp, color = Palette.muted)
        Text(review.label, fontSize = 17.sp, fontWeight = FontWeight.SemiBold, color = color)
        review.reason?.let { Text("Motif : $it", fontSize = 15.sp) }
        if (review.requestedDocuments.isNotEmpty()) {
            Text("Documents demandés : ${review.requestedDocuments.joinToString(", ")}", fontSize = 15.sp)
        }
        review.submittedAtMs?.let { ms ->
            Hint("Envoyé le ${French.moment(ms)}${submittedBy?.let { " par $it" } ?: ""}")
        }
        if (review.changedSinceSubmission) Hint("Modifié depuis : pensez à valider de nouveau.")
    }
}

@Composable
private fun ConflictPanel(conflict: DossierConflict, actions: DossierActions) {
    Panel {
        Text("À choisir : ${conflict.fieldLabel} de ${conflict.sheetName}", fontSize = 16.sp, fontWeight = FontWeight.SemiBold, color = Palette.accepted)
        Hint("Deux parents ont saisi des valeurs différentes sans réseau. Gardez la bonne.")
        conflict.values.forEach { v ->
            Row(verticalAlignment = Alignment.CenterVertically) {
                Column(Modifier.weight(1f)) {
                    Text(v.label.ifBlank { "(vide)" }, fontSize = 15.sp, fontWeight = if (v.current) FontWeight.SemiBold else FontWeight.Normal)
                    Text(
                        (if (v.byThisDevice) "saisi sur ce téléphone" else "saisi par ${v.authorName}") + if (v.current) ", affiché" else "",
                        fontSize = 13.sp, color = Palette.muted,
                    )
                }
                val who = if (v.byThisDevice) "saisi sur ce téléphone" else "saisi par ${v.authorName}"
                TextButton(
                    onClick = { actions.onKeep(conflict, v.id) },
                    modifier = Modifier.heightIn(min = TouchTarget).widthIn(min = TouchTarget)
                        .semantics { contentDescription = "Garder « ${v.label.ifBlank { "vide" }} », $who" },
                ) {
                    Text("Garder")
                }
            }
        }
    }
}

@Composable
private fun SheetTitle(text: String) {
    Text(text, fontSize = 18.sp, fontWeight = FontWeight.SemiBold, modifier = Modifier.semantics { heading() })
}

/** A field of a sheet: label, value, a tap edits it. */
@Composable
private fun FieldRow(label: String, value: String, edit: FieldEdit, actions: DossierActions) {
    Row(
        Modifier.fillMaxWidth()
            .heightIn(min = TouchTarget)
            .clickable(onClickLabel = "modifier") { actions.onEdit(edit) }
            .semantics(mergeDescendants = true) { role = Role.Button },
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Box(Modifier.weight(1f)) { LabelValue(label, value) }
        Icon(Icons.Filled.Edit, contentDescription = "Modifier", tint = Palette.muted)
    }
}

@Composable
private fun ChildPanel(child: Child, actions: DossierActions) {
    val name = child.firstName
    fun e(label: String, field: ChildField, kind: FieldKind, value: String) =
        FieldEdit(child.id, name, label, kind, value, childField = field)
    Panel {
        SheetTitle("${child.firstName} ${child.lastName}")
        LabelValue("Né(e) le", French.isoDate(child.birthDate))
        LabelValue("École et classe", listOf(child.school, child.`class`).filter { it.isNotBlank() }.joinToString(", "))
        FieldRow("Régime alimentaire", child.dietLabel, e("Régime alimentaire", ChildField.DIET, FieldKind.Diet, child.diet.name), actions)
        FieldRow("Allergies", child.allergies.joinToString(", ").ifBlank { "aucune" }, e("Allergies", ChildField.ALLERGIES, FieldKind.Text, child.allergies.joinToString(", ")), actions)
        FieldRow("Projet d'accueil individualisé (PAI)", French.yesNo(child.pai), e("PAI", ChildField.PAI, FieldKind.YesNo, child.pai.toString()), actions)
        FieldRow("Traitements médicaux", child.medicalTreatments, e("Traitements médicaux", ChildField.MEDICAL_TREATMENTS, FieldKind.Text, child.medicalTreatments), actions)
        FieldRow("Médecin traitant", child.doctor, e("Médecin traitant", ChildField.DOCTOR, FieldKind.Text, child.doctor), actions)
        FieldRow("Vaccins à jour", French.yesNo(child.vaccinationsUpToDate), e("Vaccins à jour", ChildField.VACCINATIONS_UP_TO_DATE, FieldKind.YesNo, child.vaccinationsUpToDate.toString()), actions)
        FieldRow("Autorisation de photos", French.yesNo(child.imageAuthorisation), e("Autorisation de photos", ChildField.IMAGE_AUTHORISATION, FieldKind.YesNo, child.imageAuthorisation.toString()), actions)
        FieldRow("Peut partir seul(e)", French.yesNo(child.mayLeaveAlone), e("Peut partir seul(e)", ChildField.MAY_LEAVE_ALONE, FieldKind.YesNo, child.mayLeaveAlone.toString()), actions)
    }
}

@Composable
private fun AdultPanel(adult: Adult, actions: DossierActions) {
    val name = "${adult.firstName} ${adult.lastName}"
    fun e(label: String, field: AdultField, kind: FieldKind, value: String) =
        FieldEdit(adult.id, name, label, kind, value, adultField = field)
    @Composable
    fun role(label: String, field: AdultField, on: Boolean) =
        FieldRow(label, French.yesNo(on), e(label, field, FieldKind.YesNo, on.toString()), actions)
    Panel {
        SheetTitle(name)
        FieldRow("Portable", adult.mobilePhone, e("Portable", AdultField.MOBILE_PHONE, FieldKind.Text, adult.mobilePhone), actions)
        FieldRow("Téléphone fixe", adult.homePhone, e("Téléphone fixe", AdultField.HOME_PHONE, FieldKind.Text, adult.homePhone), actions)
        FieldRow("Téléphone professionnel", adult.workPhone, e("Téléphone professionnel", AdultField.WORK_PHONE, FieldKind.Text, adult.workPhone), actions)
        FieldRow("Courriel", adult.email, e("Courriel", AdultField.EMAIL, FieldKind.Text, adult.email), actions)
        FieldRow("Adresse", adult.address, e("Adresse", AdultField.ADDRESS, FieldKind.Text, adult.address), actions)
        role("Responsable légal", AdultField.LEGAL_GUARDIAN, adult.legalGuardian)
        role("Peut récupérer les enfants", AdultField.MAY_PICK_UP, adult.mayPickUp)
        role("Contact en cas d'urgence", AdultField.EMERGENCY_CONTACT, adult.emergencyContact)
        role("Reçoit les factures", AdultField.BILLING, adult.billing)
        adult.quotientFamilial?.let { LabelValue("Quotient familial", it.toString()) }
    }
}

/** The editor of one field, over the screen. */
@Composable
private fun EditSheet(edit: FieldEdit, diets: List<DietOption>, error: String?, actions: DossierActions) {
    Box(Modifier.fillMaxSize().background(Color(0x99000000)), contentAlignment = Alignment.Center) {
        Card(Modifier.padding(20.dp).fillMaxWidth(), elevation = 8.dp) {
            Column(Modifier.padding(18.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
                Text("${edit.label} — ${edit.sheetName}", fontSize = 18.sp, fontWeight = FontWeight.SemiBold,
                    modifier = Modifier.semantics { heading() })
                when (edit.kind) {
                    FieldKind.Text -> Field(edit.label, edit.value, actions.onValue,
                        if (edit.childField == ChildField.ALLERGIES) "séparées par des virgules" else null)
                    FieldKind.YesNo -> Toggles {
                        Toggle("oui", edit.value == "true", { actions.onValue("true") })
                        Toggle("non", edit.value == "false", { actions.onValue("false") })
                    }
                    FieldKind.Diet -> Toggles {
                        diets.forEach { d ->
                            Toggle(d.label, edit.value == d.code, { actions.onValue(d.code) })
                        }
                    }
                }
                ErrorText(error)
                MainButton("Enregistrer", actions.onSave)
                TextButton(onClick = actions.onCancel, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) {
                    Text("Annuler", fontSize = 16.sp)
                }
            }
        }
    }
}

/** The form of a new child or adult, over the screen. */
@Composable
private fun NewSheetForm(sheet: NewSheet, error: String?, actions: DossierActions) {
    val child = sheet.kind == NewSheetKind.Child
    Box(Modifier.fillMaxSize().background(Color(0x99000000)), contentAlignment = Alignment.Center) {
        Card(Modifier.padding(16.dp).fillMaxWidth(), elevation = 8.dp) {
            Column(
                Modifier.verticalScroll(rememberScrollState()).padding(18.dp),
                verticalArrangement = Arrangement.spacedBy(10.dp),
            ) {
                Text(
                    if (child) "Ajouter un enfant" else "Ajouter un adulte",
                    fontSize = 18.sp, fontWeight = FontWeight.SemiBold,
                    modifier = Modifier.semantics { heading() },
                )
                Field("Prénom", sheet.firstName, { actions.onNew(sheet.copy(firstName = it)) })
                Field("Nom", sheet.lastName, { actions.onNew(sheet.copy(lastName = it)) })
                if (child) {
                    Field("Date de naissance", sheet.birthDate, { actions.onNew(sheet.copy(birthDate = it)) }, "JJ/MM/AAAA")
                } else {
                    Field("Portable", sheet.mobilePhone, { actions.onNew(sheet.copy(mobilePhone = it)) }, "06 12 34 56 78")
                    Toggles {
                        Toggle("Peut récupérer les enfants", sheet.mayPickUp, { actions.onNew(sheet.copy(mayPickUp = !sheet.mayPickUp)) })
                        Toggle("Contact en cas d'urgence", sheet.emergencyContact, {
                            actions.onNew(sheet.copy(emergencyContact = !sheet.emergencyContact))
                        })
                        Toggle("Responsable légal", sheet.legalGuardian, { actions.onNew(sheet.copy(legalGuardian = !sheet.legalGuardian)) })
                    }
                }
                Hint(
                    if (child) "La fiche s'ajoute sur ce téléphone ; complétez-la (école, régime, santé), puis validez vos modifications."
                    else "La fiche s'ajoute sur ce téléphone ; la structure la reçoit quand vous validez vos modifications.",
                )
                ErrorText(error)
                MainButton("Ajouter", actions.onSaveNew)
                TextButton(onClick = actions.onCancelNew, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) {
                    Text("Annuler", fontSize = 16.sp)
                }
            }
        }
    }
}
