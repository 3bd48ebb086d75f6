package fr.cartable.app

import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.test.assertIsDisplayed
import androidx.compose.ui.test.hasContentDescription
import androidx.compose.ui.test.onNodeWithContentDescription
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextClearance
import androidx.compose.ui.test.performTextInput
import fr.cartable.app.Demo.cell
import fr.cartable.app.Demo.cells
import fr.cartable.app.Demo.isFree
import fr.cartable.app.format.French
import fr.cartable.mobile.CellState
import fr.cartable.mobile.PlanningCell
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** "Connexion" and "Mon planning" driven by taps and typing, as a parent's fingers would. */
@OptIn(ExperimentalTestApi::class)
class PlanningTapsTest {

    /** The cell of [c] as a screen reader announces it: "Inès, lundi 14 décembre, Restauration scolaire : …". */
    private fun cellNode(c: PlanningCell): SemanticsMatcher =
        hasContentDescription("${c.childName}, ${French.isoDay(c.date)}, ${c.activityName} :", substring = true)

    @Test
    fun `a parent types the login and password and presses Se connecter`(): Unit = phone {
        val app = Demo.newApp()
        showApp(app)

        onNodeWithText("Identifiant").performTextInput(Demo.SAMIRA)
        onNodeWithText("Mot de passe").performTextInput("pas-le-bon")
        onNodeWithText("Se connecter").performClick()
        waitFor("the wrong password is told") { app.login.error != null }
        onNodeWithText("Identifiant ou mot de passe incorrect.").assertIsDisplayed()

        // The password field keeps what was typed: the parent clears it and types again.
        onNodeWithText("Mot de passe").performTextClearance()
        onNodeWithText("Mot de passe").performTextInput(Demo.PASSWORD)
        screenshot("23-connexion-saisie-au-clavier")
        onNodeWithText("Se connecter").performClick()
        waitFor("signed in and synced") { app.signedIn && app.planning.view != null && !app.syncing }
        assertEquals("", app.login.password, "the password is not kept on screen")
        onNodeWithText(French.week(app.planning.weekStart!!)).assertIsDisplayed()
        onNodeWithText("Inès").assertIsDisplayed()
        onNodeWithText("Yanis").assertIsDisplayed()
        screenshot("24-connexion-puis-planning")
    }

    @Test
    fun `a tap books a free cell, pending until the sync accepts it, a second tap cancels it`(): Unit = phone {
        val app = Demo.signedIn(Demo.SAMIRA)
        val ines = app.planning.children.single { it.firstName == "Inès" }
        runBlocking { app.planning.selectChild(ines.id) }
        Demo.showWeekWithFree(app, "cantine")
        showApp(app)
        onNodeWithText("Inès").assertIsDisplayed()
        val free = cells(app).first { isFree(it) && it.activityId == "cantine" }
        scrolledTo(cellNode(free)).performClick()
        waitFor("the booking is written") { cell(app, free.date, free.activityId).state is CellState.Pending }
        scrolledTo(hasContentDescription("${free.activityName} : en attente", substring = true)).assertIsDisplayed()
        assertTrue(app.pendingChanges > 0, "the booking waits for a sync")
        screenshot("25-touche-en-attente")

        onNodeWithContentDescription("Actualiser").performClick()
        waitFor("the server accepts it") { cell(app, free.date, free.activityId).state == CellState.Accepted }
        waitFor("the sync is over") { !app.syncing }
        scrolledTo(hasContentDescription("${free.activityName} : réservé", substring = true)).assertIsDisplayed()
        assertTrue(app.announcements.any { it.contains("Inès") }, "${app.announcements}")
        screenshot("26-touche-acceptee")

        // A second tap withdraws the booking (before its deadline: not billed, no question).
        app.announcements.clear()
        scrolledTo(cellNode(free)).performClick()
        waitFor("the withdrawal is written") {
            (cell(app, free.date, free.activityId).state as? CellState.Pending)?.wanted == false
        }
        scrolledTo(hasContentDescription("${free.activityName} : annulation en attente", substring = true))
            .assertIsDisplayed()
        onNodeWithContentDescription("Actualiser").performClick()
        waitFor("the withdrawal is done") {
            val s = cell(app, free.date, free.activityId).state
            s is CellState.Cancelled || s is CellState.Free
        }
        waitFor("the sync is over") { !app.syncing }
        assertEquals(0L, app.pendingChanges)
        screenshot("27-touche-annulee")
    }
}
