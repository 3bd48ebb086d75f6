package fr.cartable.app.state

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import fr.cartable.mobile.AdultField
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.ChildField
import fr.cartable.mobile.DietOption
import fr.cartable.mobile.Dossier
import fr.cartable.mobile.DossierConflict
import fr.cartable.mobile.DossierReview
import fr.cartable.mobile.reason

/** How a field is edited. */
enum class FieldKind { Text, YesNo, Diet }

/** A field being edited: on a child's sheet ([childField]) or an adult's ([adultField]). */
data class FieldEdit(
    val sheetId: String,
    val sheetName: String,
    val label: String,
    val kind: FieldKind,
    val value: String,
    val childField: ChildField? = null,
    val adultField: AdultField? = null,
)

/** A new sheet being filled in: a child or an adult. */
enum class NewSheetKind { Child, Adult }

/**
 * The form of a new child or adult. The roles of an adult are those the portal's paper form
 * asks for; [createdId] is set once the sheet exists, so that saving again after an error in a
 * later field does not add it twice.
 */
data class NewSheet(
    val kind: NewSheetKind,
    val firstName: String = "",
    val lastName: String = "",
    val birthDate: String = "",
    val mobilePhone: String = "",
    val legalGuardian: Boolean = false,
    val mayPickUp: Boolean = true,
    val emergencyContact: Boolean = false,
    val createdId: String? = null,
)

/** "Mon dossier": children's and adults' sheets, edits, "Je valide mes modifications". */
class DossierModel(private val app: AppModel) {
    var dossier by mutableStateOf<Dossier?>(null)
        private set
    var review by mutableStateOf<DossierReview?>(null)
        private set
    var conflicts by mutableStateOf<List<DossierConflict>>(emptyList())
        private set
    var diets by mutableStateOf<List<DietOption>>(emptyList())
        private set
    var editing by mutableStateOf<FieldEdit?>(null)
        private set
    var error by mutableStateOf<String?>(null)
        private set

    /** The new child's or adult's form, when open. */
    var adding by mutableStateOf<NewSheet?>(null)
        private set

    /** True once a field changed since the dossier was last sent to the structure. */
    var changed by mutableStateOf(false)
        private set

    suspend fun load() {
        dossier = runCatching { app.cartable.dossier() }.getOrNull()
        review = runCatching { app.cartable.dossierReview() }.getOrNull()
        conflicts = runCatching { app.cartable.dossierConflicts() }.getOrDefault(emptyList())
        if (diets.isEmpty()) diets = runCatching { fr.cartable.mobile.dietOptions() }.getOrDefault(emptyList())
        review?.let { if (it.changedSinceSubmission) changed = true }
    }

    fun edit(field: FieldEdit) {
        error = null
        // A diet arrives as the enum's name; the library takes the option's code.
        editing = if (field.kind == FieldKind.Diet) {
            field.copy(value = diets.firstOrNull { it.diet.name == field.value }?.code ?: field.value)
        } else {
            field
        }
    }

    fun changeValue(value: String) {
        editing = editing?.copy(value = value)
    }

    fun cancelEdit() {
        editing = null
        error = null
    }

    suspend fun saveEdit() {
        val e = editing ?: return
        try {
            when {
                e.childField != null -> app.cartable.setChildField(e.sheetId, e.childField, e.value.trim())
                e.adultField != null -> app.cartable.setAdultField(e.sheetId, e.adultField, e.value.trim())
            }
            editing = null
            changed = true
        } catch (x: CartableException) {
            error = x.reason
        }
        app.refreshStatus()
        load()
    }

    /** "Ajouter un enfant" / "Ajouter un adulte": opens the form, the family's name filled in. */
    fun startAdding(kind: NewSheetKind) {
        error = null
        val familyName = dossier?.children?.firstOrNull()?.lastName.orEmpty()
        adding = NewSheet(kind, lastName = familyName)
    }

    fun changeNew(sheet: NewSheet) {
        adding = sheet
    }

    fun cancelAdding() {
        adding = null
        error = null
    }

    /**
     * Adds the sheet on this phone (offline; the structure gets it with the dossier's next
     * validation). The library checks names, the birth date and the phone number with the
     * dossier's own rules; its French reason shows under the form.
     */
    suspend fun saveNew() {
        val s = adding ?: return
        error = when {
            s.firstName.isBlank() && s.kind == NewSheetKind.Child -> "Saisissez le prénom de l'enfant."
            s.firstName.isBlank() && s.lastName.isBlank() -> "Saisissez le prénom et le nom de l'adulte."
            s.kind == NewSheetKind.Child && s.birthDate.isNotBlank() && DateInput.parse(s.birthDate) == null ->
                "La date de naissance « ${s.birthDate.trim()} » n'existe pas : saisissez-la au format JJ/MM/AAAA."
            else -> null
        }
        if (error != null) return
        try {
            when (s.kind) {
                NewSheetKind.Child -> {
                    if (s.createdId == null) {
                        app.cartable.addChild(s.firstName.trim(), s.lastName.trim(), DateInput.parse(s.birthDate))
                    }
                }
                NewSheetKind.Adult -> {
                    val id = s.createdId ?: app.cartable.addAdult(s.firstName.trim(), s.lastName.trim())
                    adding = s.copy(createdId = id)
                    if (s.mobilePhone.isNotBlank()) app.cartable.setAdultField(id, AdultField.MOBILE_PHONE, s.mobilePhone.trim())
                    app.cartable.setAdultField(id, AdultField.LEGAL_GUARDIAN, s.legalGuardian.toString())
                    app.cartable.setAdultField(id, AdultField.MAY_PICK_UP, s.mayPickUp.toString())
                    app.cartable.setAdultField(id, AdultField.EMERGENCY_CONTACT, s.emergencyContact.toString())
                }
            }
            adding = null
            changed = true
        } catch (x: CartableException) {
            error = x.reason.replaceFirstChar { it.uppercase() }
        }
        app.refreshStatus()
        load()
    }

    /** "Je valide mes modifications": the structure gets the dossier at the next sync. */
    suspend fun submit() {
        try {
            app.cartable.submitDossier()
            changed = false
            app.announcements += "Dossier envoyé à la structure : il part à la prochaine synchronisation."
        } catch (e: CartableException) {
            app.report(e)
        }
        app.refreshStatus()
        load()
    }

    /** "Garder cette valeur" for a field two parents set differently. */
    suspend fun keep(conflict: DossierConflict, valueId: String) {
        try {
            app.cartable.keepDossierValue(conflict.path, valueId)
        } catch (e: CartableException) {
            app.report(e)
        }
        app.refreshStatus()
        load()
    }
}
