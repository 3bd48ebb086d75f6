package fr.cartable.app

import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertIsDisplayed
import androidx.compose.ui.test.hasContentDescription
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextClearance
import androidx.compose.ui.test.performTextInput
import fr.cartable.app.state.Screen
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.ChildField
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** "Mon dossier" and "Mon compte" driven by taps and typing. */
@OptIn(ExperimentalTestApi::class)
class DossierAndAccountTapsTest {

    @Test
    fun `a field two parents set differently offline is settled by a tap on Garder`(): Unit = phone {
        val camille = Demo.signedIn(Demo.CAMILLE)
        val julien = Demo.signedIn(Demo.JULIEN)
        val hugo = runBlocking { camille.cartable.dossier() }.children.single { it.firstName == "Hugo" }.id
        runBlocking {
            // Both phones set Hugo's doctor before either has heard of the other's.
            camille.cartable.setChildField(hugo, ChildField.DOCTOR, "Dr Camus")
            julien.cartable.setChildField(hugo, ChildField.DOCTOR, "Dr Julliard")
            camille.cartable.sync()
            julien.cartable.sync()
            camille.sync()
        }
        showApp(camille)
        goTo(camille, Screen.Dossier)
        assertTrue(camille.dossier.conflicts.any { it.sheetId == hugo }, "${camille.dossier.conflicts}")
        onNodeWithText("À choisir : médecin de Hugo", substring = true).assertIsDisplayed()
        onNodeWithText("saisi par Julien Martin", substring = true).assertIsDisplayed()
        screenshot("28-dossier-deux-valeurs")

        scrolledTo(hasContentDescription("Garder « Dr Julliard »", substring = true)).performClick()
        waitFor("the conflict is settled") { camille.dossier.conflicts.none { it.sheetId == hugo } }
        waitForIdle()
        val doctor = camille.dossier.dossier!!.children.single { it.id == hugo }.doctor
        assertEquals("Dr Julliard", doctor)
        scrolledTo(hasText("Dr Julliard")).assertIsDisplayed()
        screenshot("29-dossier-valeur-gardee")

        // The other parent's phone hears of the choice at its next sync.
        runBlocking {
            camille.cartable.sync()
            julien.cartable.sync()
        }
        val onJulien = runBlocking { julien.cartable.dossierConflicts() }
        assertTrue(onJulien.none { it.sheetId == hugo }, "$onJulien")
        assertEquals("Dr Julliard", runBlocking { julien.cartable.dossier() }.children.single { it.id == hugo }.doctor)
    }

    @Test
    fun `the password is changed from Mon compte by typing it twice`(): Unit = phone {
        val app = Demo.signedIn(Demo.KARIM)
        showApp(app)
        goTo(app, Screen.Account)

        val chosen = "Cartable-Karim-2026!"
        scrolledTo(hasText("Mot de passe actuel")).performTextInput(Demo.PASSWORD)
        scrolledTo(hasText("Nouveau mot de passe (12 caractères au moins)")).performTextInput(chosen)
        scrolledTo(hasText("Confirmez le nouveau mot de passe")).performTextInput("Cartable-Karim-2025!")
        scrolledTo(hasText("Changer le mot de passe")).performClick()
        waitFor("the mismatch is told") { app.account.passwordMessage != null }
        assertEquals("Les deux mots de passe ne sont pas identiques.", app.account.passwordMessage)

        scrolledTo(hasText("Confirmez le nouveau mot de passe")).performTextClearance()
        scrolledTo(hasText("Confirmez le nouveau mot de passe")).performTextInput(chosen)
        scrolledTo(hasText("Changer le mot de passe")).performClick()
        waitFor("the password is changed") { app.account.passwordMessage?.startsWith("Mot de passe changé") == true }
        onNodeWithText("Mot de passe changé. Vos autres appareils devront se reconnecter.").assertIsDisplayed()
        assertEquals("", app.account.currentPassword, "the passwords typed are not kept on screen")
        screenshot("30-mot-de-passe-change")

        // The new password opens the account on another phone; the old one no longer does.
        val other = Demo.newApp()
        runBlocking {
            assertThrows(CartableException.Unauthorized::class.java) {
                runBlocking { other.cartable.login(Demo.server.url, Demo.KARIM, Demo.PASSWORD, "Autre téléphone") }
            }
            other.cartable.login(Demo.server.url, Demo.KARIM, chosen, "Autre téléphone")
        }
    }
}
