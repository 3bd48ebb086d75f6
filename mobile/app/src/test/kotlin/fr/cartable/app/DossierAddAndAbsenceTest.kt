package fr.cartable.app

import androidx.compose.runtime.getValue
import androidx.compose.runtime.key
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.test.assertIsDisplayed
import androidx.compose.ui.test.hasContentDescription
import androidx.compose.ui.test.hasSetTextAction
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onNodeWithContentDescription
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextClearance
import androidx.compose.ui.test.performTextInput
import fr.cartable.app.Demo.cell
import fr.cartable.app.Demo.cells
import fr.cartable.app.Demo.isFree
import fr.cartable.app.state.DateInput
import fr.cartable.app.state.Screen
import fr.cartable.app.ui.CartableApp
import fr.cartable.mobile.SupportingDocumentState
import java.nio.file.Files
import java.time.LocalDate
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** "Mon dossier": a child and an adult added; "Absences": an absence with its medical note. */
@OptIn(ExperimentalTestApi::class)
class DossierAddAndAbsenceTest {

    private fun field(label: String): SemanticsMatcher = hasText(label) and hasSetTextAction()

    private fun toggle(label: String): SemanticsMatcher =
        hasText(label, substring = true) and SemanticsMatcher.expectValue(SemanticsProperties.Role, Role.Checkbox)

    @Test
    fun `a child and an adult are added to the dossier, checked by its rules, and reach the other parent`(): Unit = phone {
        val app = Demo.signedIn(Demo.SAMIRA)
        showApp(app)
        goTo(app, Screen.Dossier)

        scrolledTo(hasText("Ajouter un enfant")).performClick()
        waitForIdle()
        scrolledTo(field("Prénom")).performTextInput("Lina")
        assertEquals("Benali", app.dossier.adding?.lastName, "the family's name is filled in")
        scrolledTo(field("Date de naissance")).performTextInput("31/02/2021")
        scrolledTo(hasText("Ajouter")).performClick()
        waitFor("the date is refused") { app.dossier.error != null }
        assertEquals(
            "La date de naissance « 31/02/2021 » n'existe pas : saisissez-la au format JJ/MM/AAAA.",
            app.dossier.error,
        )
        screenshot("32-dossier-ajout-enfant-date-refusee")
        scrolledTo(field("Date de naissance")).performTextClearance()
        scrolledTo(field("Date de naissance")).performTextInput("12/09/2021")
        scrolledTo(hasText("Ajouter")).performClick()
        // The form closes before the dossier is read again: wait for the sheet itself.
        waitFor("the child is added") {
            app.dossier.adding == null && app.dossier.dossier?.children?.any { it.firstName == "Lina" } == true
        }
        val lina = app.dossier.dossier!!.children.single { it.firstName == "Lina" }
        assertEquals("Benali", lina.lastName)
        assertEquals("2021-09-12", lina.birthDate)

        scrolledTo(hasText("Ajouter un adulte")).performClick()
        waitForIdle()
        scrolledTo(field("Prénom")).performTextInput("Nora")
        scrolledTo(field("Portable")).performTextInput("pas un numéro")
        scrolledTo(toggle("Contact en cas d'urgence")).performClick()
        scrolledTo(hasText("Ajouter")).performClick()
        waitFor("the phone number is refused") { app.dossier.error != null }
        assertTrue(app.dossier.error!!.contains("portable", ignoreCase = true), "${app.dossier.error}")
        scrolledTo(field("Portable")).performTextClearance()
        scrolledTo(field("Portable")).performTextInput("06 11 22 33 44")
        scrolledTo(hasText("Ajouter")).performClick()
        waitFor("the adult is added") {
            app.dossier.adding == null && app.dossier.dossier?.adults?.any { it.firstName == "Nora" } == true
        }
        val nora = app.dossier.dossier!!.adults.filter { it.firstName == "Nora" }
        assertEquals(1, nora.size, "added once, though saved twice: $nora")
        assertEquals("06 11 22 33 44", nora.single().mobilePhone)
        assertTrue(nora.single().emergencyContact && nora.single().mayPickUp && !nora.single().legalGuardian)
        scrolledTo(hasText("Nora Benali")).assertIsDisplayed()
        screenshot("33-dossier-adulte-ajoute")

        // The other parent's phone gets both sheets at its next sync.
        runBlocking { app.sync() }
        val other = Demo.signedIn(Demo.SAMIRA)
        val dossier = runBlocking { other.cartable.dossier() }
        assertTrue(dossier.children.any { it.firstName == "Lina" && it.birthDate == "2021-09-12" })
        assertTrue(dossier.adults.any { it.firstName == "Nora" && it.mobilePhone == "06 11 22 33 44" })
    }

    @Test
    fun `an absence declared offline with a medical note is joined to it once sent, though the app was closed meanwhile`(): Unit = phone {
        Relay(Demo.server.url).use { network ->
            val platform = TestPlatform()
            val store = Files.createTempDirectory("cartable-app-").toFile()
            val first = Demo.signedIn(Demo.SAMIRA, network.url, platform, store)
            val yanis = first.planning.children.single { it.firstName == "Yanis" }
            runBlocking { first.planning.selectChild(yanis.id) }
            val monday = Demo.showWeekWithFree(first, "cantine")
            val day = cells(first).first { isFree(it) && it.activityId == "cantine" }
            runBlocking {
                first.planning.tap(day)
                first.sync()
            }
            first.announcements.clear()
            // The screen shows whichever app runs: the first one, then the one opened again.
            var shown by mutableStateOf(first)
            setContent { key(shown) { CartableApp(shown, live = false) } }
            goTo(first, Screen.Absences)

            network.offline = true
            scrolledTo(toggle("Yanis")).performClick()
            scrolledTo(field("Du")).performTextInput(DateInput.format(LocalDate.parse(day.date)))
            scrolledTo(field("Motif")).performTextInput("malade")
            platform.picked = TestPlatform.pdf("certificat-yanis.pdf")
            scrolledTo(hasText("Joindre un justificatif")).performClick()
            waitFor("the file is picked") { first.absences.document != null }
            scrolledTo(hasText("Signaler l'absence")).performClick()
            waitFor("the absence is declared") { first.absences.outcome != null || first.absences.error != null }
            assertEquals(null, first.absences.error)
            assertTrue(first.absences.outcome!!.contains("gardé sur le téléphone"), first.absences.outcome)
            val queued = runBlocking { first.cartable.documents() }.single { it.fileName == "certificat-yanis.pdf" }
            assertTrue(queued.state is SupportingDocumentState.WaitingToSend, "${queued.state}")
            assertEquals("medical_note", queued.kind)
            assertEquals(yanis.id, queued.childId)
            assertEquals(yanis.id, queued.absence?.childId, "the note knows its absence")
            scrolledTo(hasText(first.absences.outcome!!)).assertIsDisplayed()
            screenshot("34-absence-justificatif-en-attente")

            // The app is closed before the note could leave, then opened again, still offline.
            first.cartable.close()
            val app = Demo.reopened(store, network.url, platform)
            assertEquals(false, app.online)
            shown = app
            waitForIdle()
            goTo(app, Screen.Absences)
            val waiting = app.absences.waiting.single()
            assertEquals(yanis.id, waiting.childId)
            assertEquals(LocalDate.parse(day.date), waiting.from)
            assertEquals("malade", waiting.reason)
            assertEquals("certificat-yanis.pdf", waiting.fileName)
            scrolledTo(hasText("« certificat-yanis.pdf » attend le réseau", substring = true)).assertIsDisplayed()
            screenshot("36-absence-justificatif-apres-redemarrage")

            runBlocking {
                app.planning.selectChild(yanis.id)
                app.planning.showWeek(monday)
            }
            network.offline = false
            onNodeWithContentDescription("Actualiser").performClick()
            waitFor("the note is sent and joined to the absence") {
                !app.syncing && app.absences.waiting.isEmpty() &&
                    cell(app, day.date, day.activityId).absence?.documentId != null
            }
            runBlocking { app.sync() }
            val absence = cell(app, day.date, day.activityId).absence
            assertNotNull(absence?.outcome, "decided by the server")
            val sent = runBlocking { app.cartable.documents() }.single { it.fileName == "certificat-yanis.pdf" }
            assertEquals(sent.serverId, absence!!.documentId)
            assertEquals(null, sent.absence, "joined: nothing left waiting")
            assertEquals(0L, app.pendingChanges)
            goTo(app, Screen.Planning)
            scrolledTo(hasContentDescription("Yanis, ", substring = true) and hasContentDescription("justificatif", substring = true))
                .assertIsDisplayed()
            screenshot("35-absence-justificatif-joint")
        }
    }
}
