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
