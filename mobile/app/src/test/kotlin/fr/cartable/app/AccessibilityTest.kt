package fr.cartable.app

import androidx.compose.ui.semantics.SemanticsNode
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SkikoComposeUiTest
import androidx.compose.ui.test.hasClickAction
import androidx.compose.ui.test.onNodeWithContentDescription
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import fr.cartable.app.format.French
import fr.cartable.app.state.Screen
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * What a parent using a screen reader or large text meets: every button says what it is, every
 * touch target is 48 × 48 dp at least, and text grows with the phone's text size.
 */
@OptIn(ExperimentalTestApi::class)
class AccessibilityTest {

    /** The minimum touch target of Android's and Material's accessibility guidelines. */
    private val minTouchDp = 48f

    /** What a screen reader says for [node]: its description, else its text. */
    private fun spoken(node: SemanticsNode): String = listOfNotNull(
        node.config.getOrNull(SemanticsProperties.ContentDescription)?.joinToString(" "),
        node.config.getOrNull(SemanticsProperties.Text)?.joinToString(" ") { it.text },
        node.config.getOrNull(SemanticsProperties.EditableText)?.text,
    ).joinToString(" ").trim()

    /** Every clickable node on screen that has no name or is too small to touch. */
    private fun SkikoComposeUiTest.problems(where: String): List<String> {
        waitForIdle()
        val nodes = onAllNodes(hasClickAction()).fetchSemanticsNodes()
        assertTrue(nodes.isNotEmpty(), "$where: nothing to tap?")
        return nodes.flatMap { node ->
            val name = spoken(node)
            val w = node.size.width / density.density
            val h = node.size.height / density.density
            listOfNotNull(
                "$where: a button without a name at ${node.boundsInRoot}".takeIf { name.isBlank() },
                "$where: « $name » is ${"%.0f".format(w)} × ${"%.0f".format(h)} dp"
                    .takeIf { w < minTouchDp - 0.5f || h < minTouchDp - 0.5f },
            )
        }
    }

    @Test
    fun `every clickable of every screen has a name and a 48 dp touch target`(): Unit = phone {
        val app = Demo.newApp()
        showApp(app)
        val problems = problems("Connexion").toMutableList()

        runBlocking {
            app.login.login = Demo.JULIEN
            app.login.password = Demo.PASSWORD
            app.login.submit()
        }
        waitFor("signed in") { app.signedIn }
        for (screen in Screen.entries) {
            runBlocking { app.show(screen) }
            problems += problems(screen.title)
        }
        runBlocking { app.show(Screen.Planning) }
        onNodeWithContentDescription("Menu").performClick()
        problems += problems("Menu")
        assertEquals(emptyList<String>(), problems, problems.joinToString("\n"))
    }

    @Test
    fun `Mon planning in large text (font scale 1,5) grows its text and keeps its cells readable`() {
        fun weekHeadingHeight(scale: Float, picture: String?): Float {
            var height = 0f
            phone(fontScale = scale) {
                val app = Demo.signedIn(Demo.JULIEN)
                val monday = Demo.showWeekWithFree(app, "cantine")
                showApp(app)
                waitForIdle()
                val heading = onNodeWithText(French.week(monday)).fetchSemanticsNode()
                height = heading.size.height / density.density
                picture?.let { screenshot(it) }
                val found = problems("Mon planning, texte × $scale")
                assertTrue(found.isEmpty(), found.joinToString("\n"))
            }
            return height
        }
        val normal = weekHeadingHeight(1f, null)
        val large = weekHeadingHeight(1.5f, "31-mon-planning-grand-texte")
        assertTrue(large >= normal * 1.4f, "the week's heading is $normal dp high, $large dp in large text: text in sp")
    }
}
